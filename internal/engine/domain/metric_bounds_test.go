package domain

import (
	"math"
	"testing"
)

func floatPtr(v float64) *float64 { return &v }

func TestEvaluateBounds(t *testing.T) {
	tests := []struct {
		name       string
		v          float64
		min, max   *float64
		wantOK     bool
		wantDetail string
	}{
		{name: "no bounds", v: 7, wantOK: true, wantDetail: "no bounds set"},
		{name: "under max", v: 0.05, max: floatPtr(0.1), wantOK: true, wantDetail: "at or below max 0.1"},
		{name: "equal to max", v: 0.1, max: floatPtr(0.1), wantOK: true, wantDetail: "at or below max 0.1"},
		{name: "above max", v: 0.42, max: floatPtr(0.1), wantOK: false, wantDetail: "above max 0.1"},
		{name: "over min", v: 0.99, min: floatPtr(0.95), wantOK: true, wantDetail: "at or above min 0.95"},
		{name: "equal to min", v: 0.95, min: floatPtr(0.95), wantOK: true, wantDetail: "at or above min 0.95"},
		{name: "below min", v: 0.5, min: floatPtr(0.95), wantOK: false, wantDetail: "below min 0.95"},
		{name: "within both", v: 150, min: floatPtr(100), max: floatPtr(200), wantOK: true, wantDetail: "within [100, 200]"},
		{name: "below both", v: 50, min: floatPtr(100), max: floatPtr(200), wantOK: false, wantDetail: "below min 100"},
		{name: "above both", v: 250, min: floatPtr(100), max: floatPtr(200), wantOK: false, wantDetail: "above max 200"},
		{name: "negative bounds", v: -3, min: floatPtr(-5), max: floatPtr(-1), wantOK: true, wantDetail: "within [-5, -1]"},
		{name: "NaN never passes", v: math.NaN(), wantOK: false, wantDetail: "not a number"},
		{name: "large numbers print plainly", v: 2500000, max: floatPtr(1000000), wantOK: false, wantDetail: "above max 1000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, detail := EvaluateBounds(tt.v, tt.min, tt.max)
			if ok != tt.wantOK || detail != tt.wantDetail {
				t.Errorf("EvaluateBounds(%v) = (%v, %q), want (%v, %q)", tt.v, ok, detail, tt.wantOK, tt.wantDetail)
			}
		})
	}
}

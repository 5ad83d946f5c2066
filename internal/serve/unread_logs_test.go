package serve

import (
	"maps"
	"testing"
)

func TestSilenceLogsTerraformDrops(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{
			name: "terraform keeps no provider log: every logger off",
			env:  map[string]string{},
			want: map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_OCUROOT": "OFF"},
		},
		{
			name: "TF_LOG set: terraform keeps the lines, nothing changes",
			env:  map[string]string{"TF_LOG": "DEBUG"},
			want: map[string]string{"TF_LOG": "DEBUG"},
		},
		{
			name: "TF_LOG_PROVIDER set: nothing changes",
			env:  map[string]string{"TF_LOG_PROVIDER": "TRACE"},
			want: map[string]string{"TF_LOG_PROVIDER": "TRACE"},
		},
		{
			name: "a level the user chose is kept",
			env:  map[string]string{"TF_LOG_SDK_PROTO": "DEBUG"},
			want: map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "DEBUG", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_OCUROOT": "OFF"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := maps.Clone(c.env)
			silenceLogsTerraformDrops(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if !maps.Equal(env, c.want) {
				t.Errorf("environment = %v, want %v", env, c.want)
			}
		})
	}
}

package domain

import (
	"encoding/json"
)

// UnmarshalJSON decodes a deployment record. A record written before the log
// existed has no LastTransition of its own: it is the newest inline entry.
func (d *Deployment) UnmarshalJSON(raw []byte) error {
	type plain Deployment // the same fields without this method
	if err := json.Unmarshal(raw, (*plain)(d)); err != nil {
		return err
	}
	if d.LastTransition == nil && len(d.InlineHistory) > 0 {
		last := d.InlineHistory[len(d.InlineHistory)-1]
		d.LastTransition = &last
	}
	return nil
}

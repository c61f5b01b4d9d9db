package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// readResults reads a latest.json written by an earlier run.
func readResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	res := &Results{}
	if err := json.Unmarshal(b, res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// refresh recomputes what a run derives from its measurements, so that a run read
// back from latest.json is reported as this program would report it now: row labels
// from the registry (keys never change; labels may), bars, and the run conditions
// (the load averages only where the run recorded them).
func refresh(res *Results) {
	for _, sr := range res.Scenarios {
		for _, rr := range sr.Rows {
			if r, ok := registry[rr.Key]; ok {
				rr.Name = r.Name()
			}
		}
	}
	res.Bars = evalBars(res, res.Quick)
	if res.Conditions == nil {
		res.Conditions = &Conditions{Cores: res.Machine.Cores}
	}
	res.Conditions.judge(res)
}

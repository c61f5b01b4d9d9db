package main

import (
	"encoding/json"
	"os"
	"time"
)

// Results is everything one run measured; latest.json is this, indented.
type Results struct {
	Schema     int       `json:"schema"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	WallSecond float64   `json:"wall_seconds"`
	Command    []string  `json:"command"`
	Quick      bool      `json:"quick"`
	Reps       int       `json:"reps"`
	TargetMS   float64   `json:"target_ms_per_rep"`
	Filter     string    `json:"filter,omitempty"`
	Method     []string  `json:"method"`
	Machine    Machine   `json:"machine"`
	// Conditions is how busy the machine was and which rows were noisy; absent in
	// runs recorded before it was measured (a -replot then fills in the rows).
	Conditions *Conditions `json:"conditions,omitempty"`

	Scenarios []*ScenarioResult `json:"scenarios"`
	Bars      []BarResult       `json:"bars"`
	Errors    []string          `json:"errors,omitempty"`
	Leaks     string            `json:"leaks,omitempty"`
}

// ScenarioResult is one scenario's rows.
type ScenarioResult struct {
	Name      string       `json:"name"`
	Kind      Kind         `json:"kind"`
	Title     string       `json:"title"`
	Transport string       `json:"transport,omitempty"`
	Size      int          `json:"size,omitempty"`
	InFlight  int          `json:"in_flight,omitempty"`
	Pairs     int          `json:"pairs,omitempty"`
	Sockets   int          `json:"sockets,omitempty"`
	Baseline  string       `json:"baseline"`
	Note      string       `json:"note,omitempty"`
	Rows      []*RowResult `json:"rows"`
}

// Row returns the scenario's row with key k, or nil.
func (s *ScenarioResult) Row(k string) *RowResult {
	for _, r := range s.Rows {
		if r.Key == k {
			return r
		}
	}
	return nil
}

// Row statuses.
const (
	statusOK      = "ok"
	statusMissing = "missing" // cannot run here (Reason says why)
	statusError   = "error"   // failed (Reason has the error)
	statusSkipped = "skipped" // the row declines this scenario (Reason says why)

	statusInterrupted = "interrupted" // stopped by Ctrl-C or SIGTERM
)

// RowResult is one row in one scenario: every repetition and their summary.
type RowResult struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Count  int    `json:"count_per_rep,omitempty"`

	Calibration []RepRecord `json:"calibration,omitempty"`
	Reps        []RepRecord `json:"reps,omitempty"`

	PerSecond   stat  `json:"per_second,omitzero"`
	Ratio       *stat `json:"ratio,omitempty"` // to the baseline, paired by repetition (latency: p50 ratio)
	CPUPerOpNS  stat  `json:"cpu_per_op_ns,omitzero"`
	AllocsPerOp stat  `json:"allocs_per_op,omitzero"`
	P50NS       stat  `json:"p50_ns,omitzero"`
	P99NS       stat  `json:"p99_ns,omitzero"`
	P999NS      stat  `json:"p999_ns,omitzero"`
	ChildCPUNS  stat  `json:"child_process_cpu_per_op_ns,omitzero"`

	Peer map[string]string `json:"peer,omitempty"`
	Idle *IdleRecord       `json:"idle,omitempty"`
}

// RepRecord is one repetition (or calibration run) of one row.
type RepRecord struct {
	Rep       int     `json:"rep"`          // repetition; calibration runs are -1, -2, …
	Seq       int     `json:"seq,omitzero"` // position in the repetition (the baseline runs between rows)
	Count     int     `json:"count"`
	ElapsedNS int64   `json:"elapsed_ns"`
	PerSecond float64 `json:"per_second,omitzero"`
	UserNS    int64   `json:"cpu_user_ns"`
	SysNS     int64   `json:"cpu_sys_ns"`
	Allocs    int64   `json:"allocs"` // -1: not measurable (child process)
	P50NS     int64   `json:"p50_ns,omitempty"`
	P99NS     int64   `json:"p99_ns,omitempty"`
	P999NS    int64   `json:"p999_ns,omitempty"`
	ChildNS   int64   `json:"child_process_cpu_ns,omitempty"`
	Error     string  `json:"error,omitempty"`
}

func newRepRecord(rep int, s Sample) RepRecord {
	return RepRecord{
		Rep: rep, Count: s.Count, ElapsedNS: s.Elapsed.Nanoseconds(), PerSecond: perSecond(s.Count, s.Elapsed),
		UserNS: s.UserCPU.Nanoseconds(), SysNS: s.SysCPU.Nanoseconds(), Allocs: s.Allocs,
		P50NS: s.P50.Nanoseconds(), P99NS: s.P99.Nanoseconds(), P999NS: s.P999.Nanoseconds(),
		ChildNS: s.ChildCPU.Nanoseconds(),
	}
}

// IdleRecord is an IdleSample with per-socket figures.
type IdleRecord struct {
	Sockets            int     `json:"sockets"`
	CreateNS           int64   `json:"create_ns"`
	Goroutines         int     `json:"goroutines"`
	HeapBytes          int64   `json:"heap_bytes"`
	RSSBytes           int64   `json:"rss_bytes"`
	FDs                int     `json:"fds"`
	GoroutinesPerSock  float64 `json:"goroutines_per_socket"`
	HeapPerSock        float64 `json:"heap_bytes_per_socket"`
	RSSPerSock         float64 `json:"rss_bytes_per_socket"`
	FDsPerSock         float64 `json:"fds_per_socket"`
	CreatePerSockNS    float64 `json:"create_ns_per_socket"`
	Waiters            int     `json:"waiters,omitempty"`
	WaitGoroutines     int     `json:"wait_goroutines,omitempty"`
	WaitHeapBytes      int64   `json:"wait_heap_bytes,omitempty"`
	WaitRSSBytes       int64   `json:"wait_rss_bytes,omitempty"`
	GoroutinesPerWaitr float64 `json:"goroutines_per_waiter,omitempty"`
	HeapPerWaiter      float64 `json:"heap_bytes_per_waiter,omitempty"`
	RSSPerWaiter       float64 `json:"rss_bytes_per_waiter,omitempty"`
}

func newIdleRecord(s IdleSample) *IdleRecord {
	n := float64(max(s.Sockets, 1))
	r := &IdleRecord{
		Sockets: s.Sockets, CreateNS: s.Create.Nanoseconds(), Goroutines: s.Goroutines, HeapBytes: s.HeapBytes,
		RSSBytes: s.RSSBytes, FDs: s.FDs,
		GoroutinesPerSock: float64(s.Goroutines) / n, HeapPerSock: float64(s.HeapBytes) / n,
		RSSPerSock: float64(s.RSSBytes) / n, FDsPerSock: float64(s.FDs) / n,
		CreatePerSockNS: float64(s.Create.Nanoseconds()) / n,
	}
	if s.Waiters > 0 {
		w := float64(s.Waiters)
		r.Waiters, r.WaitGoroutines, r.WaitHeapBytes, r.WaitRSSBytes = s.Waiters, s.WaitGoroutines, s.WaitHeapBytes, s.WaitRSSBytes
		r.GoroutinesPerWaitr = float64(s.WaitGoroutines) / w
		r.HeapPerWaiter = float64(s.WaitHeapBytes) / w
		r.RSSPerWaiter = float64(s.WaitRSSBytes) / w
	}
	return r
}

// writeJSON writes res to path, indented.
func writeJSON(path string, res *Results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

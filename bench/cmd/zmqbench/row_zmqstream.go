package main

// ROW MISSING — zmqstream rows are not written yet, so nothing is registered here and
// the bars "Stream C() ≥ 0.85×" and "Observable() ≥ 0.5×" print "not measured (row
// missing)". Whoever lands zmqstream adds the rows in this file (see "How to add a
// row" in rows.go); until then this file holds no code on purpose.
//
// Two ThroughputRows are expected, each with Supports returning true for
// KindThroughput at spec.Size 16 and 4096 (every transport), as the issue asks:
//
//   - keyStreamC ("zmqstream-c"): a zmqevented PUSH sender goroutine (evConnect,
//     evSend from row_evented.go) and, on the timing goroutine, zmqstream.New(pull)
//     consumed through st.C() for spec.Count messages after one warm-up message.
//
//   - keyStreamObservable ("zmqstream-observable"): the same, consumed through
//     st.Observable() (for example by ranging over its Observe() channel).
//
// Close the Stream and the context before returning; every goroutine the Stream
// started must have ended.

package main

// ROW MISSING — zmqsink rows are not written yet, so nothing is registered here and
// the bars "Sink.Send ≥ 0.85×" and "Forward ≥ 0.5×" print "not measured (row
// missing)". Whoever lands zmqsink adds the rows in this file (see "How to add a row"
// in rows.go); until then this file holds no code on purpose.
//
// Two ThroughputRows are expected, each with Supports returning true for
// KindThroughput at spec.Size 16 and 4096 (every transport), as the issue asks. The
// receiving end is a zmqevented PULL on the timing goroutine (evConnect, then Recv for
// spec.Count messages after one warm-up message), exactly as in eventedRow, so that
// only the sending layer differs from the zmqevented row:
//
//   - keySinkSend ("zmqsink-send"): a sender goroutine calling sink.Send(ctx, b) on a
//     zmqsink.New(push) for spec.Count+1 messages.
//
//   - keySinkForward ("zmqsink-forward"): zmqsink.Forward(ctx, src, sink) from an
//     rxgo Observable emitting spec.Count+1 messages.
//
// Close the Sink (Close(ctx)) and the context before returning.

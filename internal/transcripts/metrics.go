package transcripts

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the worker's figures on /metrics; a nil *metrics records
// nothing.
type metrics struct {
	results  *prometheus.CounterVec
	audioSec prometheus.Counter
	done     prometheus.Gauge
	total    prometheus.Gauge
}

// queueCollector reads the queue's depth per state at each scrape.
type queueCollector struct {
	s    *Service
	desc *prometheus.Desc
}

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	depth, err := c.s.DB.Q().TranscriptQueueDepth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for state, n := range depth {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}

// Register exports callrec_transcript_jobs{state} (the queue, every
// tenant), callrec_transcripts_total{result}, callrec_transcript_audio_seconds_total
// and the running job's callrec_transcript_segments_{done,total}.
func (s *Service) Register(reg prometheus.Registerer) {
	m := &metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_transcripts_total",
			Help: "Transcription jobs finished on this node, by result (done, queued = retried later, failed)."}, []string{"result"}),
		audioSec: prometheus.NewCounter(prometheus.CounterOpts{Name: "callrec_transcript_audio_seconds_total",
			Help: "Seconds of recorded calls this node has transcribed."}),
		done: prometheus.NewGauge(prometheus.GaugeOpts{Name: "callrec_transcript_segments_done",
			Help: "Voiced segments transcribed of the job this node is running."}),
		total: prometheus.NewGauge(prometheus.GaugeOpts{Name: "callrec_transcript_segments_total",
			Help: "Voiced segments of the job this node is running."}),
	}
	reg.MustRegister(m.results, m.audioSec, m.done, m.total, queueCollector{s: s,
		desc: prometheus.NewDesc("callrec_transcript_jobs", "Transcription jobs of every tenant by state.", []string{"state"}, nil)})
	s.metrics = m
}

func (m *metrics) result(r string) {
	if m != nil {
		m.results.WithLabelValues(r).Inc()
	}
}

func (m *metrics) audio(sec float64) {
	if m != nil {
		m.audioSec.Add(sec)
	}
}

func (m *metrics) progress(done, total int) {
	if m != nil {
		m.done.Set(float64(done))
		m.total.Set(float64(total))
	}
}

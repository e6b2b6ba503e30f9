package store

import (
	"path/filepath"
	"testing"
)

func benchStore(b *testing.B, dur Durability) *Store {
	b.Helper()
	s, err := Open(b.Context(), Config{Path: filepath.Join(b.TempDir(), "zhub.db"), Durability: dur})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(b.Context()) })
	if err := s.PutDevice(b.Context(), Device{IEEE: ieeeA, FriendlyName: "bench"}); err != nil {
		b.Fatal(err)
	}
	return s
}

var benchDurabilities = []Durability{DurablePowerLoss, DurableProcessCrash}

// BenchmarkWrite measures one caller writing history points back to back:
// every write waits for its own commit, so each is a batch of one.
func BenchmarkWrite(b *testing.B) {
	for _, dur := range benchDurabilities {
		b.Run(dur.String(), func(b *testing.B) {
			s := benchStore(b, dur)
			ctx := b.Context()
			i := 0
			for b.Loop() {
				i++
				if err := s.AppendHistory(ctx, HistoryPoint{IEEE: ieeeA, Property: "temperature", Value: i}); err != nil {
					b.Fatal(err)
				}
			}
			reportWrites(b, s)
		})
	}
}

// BenchmarkWriteParallel measures many concurrent callers (16 per CPU), the
// case batching is for.
func BenchmarkWriteParallel(b *testing.B) {
	for _, dur := range benchDurabilities {
		b.Run(dur.String(), func(b *testing.B) {
			s := benchStore(b, dur)
			ctx := b.Context()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if err := s.AppendHistory(ctx, HistoryPoint{IEEE: ieeeA, Property: "temperature", Value: i}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportWrites(b, s)
		})
	}
}

func reportWrites(b *testing.B, s *Store) {
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if st.Batches > 0 {
		b.ReportMetric(float64(st.Ops)/float64(st.Batches), "ops/batch")
	}
}

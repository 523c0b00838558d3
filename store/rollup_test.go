package store_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hookstream-go/hookstream/store"
)

// TestHistogram_Bins checks the bins: exact under 16 ms, contiguous and
// ordered, and every duration within HistogramError of its bin's value.
func TestHistogram_Bins(t *testing.T) {
	t.Parallel()
	prev := -1
	for ms := int64(0); ms < 1<<24; ms += 1 + ms/97 {
		bin := store.HistogramBin(ms)
		// Steps are narrower than bins: no bin is skipped.
		if bin < prev || bin > prev+1 || bin >= store.HistogramBins {
			t.Fatalf("bin of %d ms = %d after %d: not the same or the next", ms, bin, prev)
		}
		prev = bin
		v := store.HistogramValue(bin)
		if ms < 16 && v != ms {
			t.Fatalf("%d ms reads back as %d, want exact", ms, v)
		}
		if off := float64(v-ms) / float64(max(ms, 1)); off > store.HistogramError || -off > store.HistogramError {
			t.Fatalf("%d ms reads back as %d: %.2f%% off", ms, v, 100*off)
		}
		if store.HistogramBin(v) != bin {
			t.Fatalf("the value %d of bin %d is in bin %d", v, bin, store.HistogramBin(v))
		}
	}
	for bin := range store.HistogramBins - 1 {
		if store.HistogramValue(bin+1) <= store.HistogramValue(bin) {
			t.Fatalf("bin %d's value %d is not above bin %d's %d", bin+1, store.HistogramValue(bin+1), bin, store.HistogramValue(bin))
		}
	}
	for _, c := range []struct{ ms, bin int64 }{{-3, 0}, {15, 15}, {16, 16}, {17, 16}, {31, 23}, {32, 24}, {1<<24 - 1, store.HistogramBins - 1}, {1 << 40, store.HistogramBins - 1}} {
		if got := store.HistogramBin(c.ms); int64(got) != c.bin {
			t.Errorf("HistogramBin(%d) = %d, want %d", c.ms, got, c.bin)
		}
	}
}

// TestHistogram_Percentile compares percentiles read from histograms
// with the exact ones (nearest rank) of random samples: within
// HistogramError, and exact for durations under 16 ms.
func TestHistogram_Percentile(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := 1 + rng.IntN(2000)
		scale := []float64{5, 100, 2000, 60000}[round%4]
		var (
			h       store.Histogram
			samples []int64
		)
		for range n {
			ms := int64(rng.ExpFloat64() * scale)
			samples = append(samples, ms)
			if round%2 == 0 {
				h.Add(ms)
			} else { // merged from halves
				var one store.Histogram
				one.Add(ms)
				h.Merge(one)
			}
		}
		slices.Sort(samples)
		if h.Count() != int64(n) {
			t.Fatalf("round %d: Count = %d, want %d", round, h.Count(), n)
		}
		for _, p := range []int{1, 50, 90, 95, 99, 100} {
			exact := samples[(p*n+99)/100-1]
			got := h.Percentile(p)
			if off := float64(got-exact) / float64(max(exact, 1)); off > store.HistogramError || -off > store.HistogramError || exact < 16 && got != exact {
				t.Fatalf("round %d (%d samples): p%d = %d, exact %d (%.2f%% off)", round, n, p, got, exact, 100*off)
			}
		}
	}
	var empty store.Histogram
	if empty.Percentile(50) != 0 || empty.Count() != 0 {
		t.Errorf("an empty histogram: p50 %d, count %d", empty.Percentile(50), empty.Count())
	}
}

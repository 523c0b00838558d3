package hookstream

import (
	"time"

	"github.com/hookstream-go/hookstream/internal/transform"
)

// Defaults of a transform's evaluation budget (see Config).
const (
	DefaultTransformMaxSteps = transform.DefaultMaxSteps
	DefaultTransformMaxBytes = transform.DefaultMaxBytes
	DefaultTransformMaxDepth = transform.DefaultMaxDepth
)

// transformLeaseAllowance is the time a delivery's lease allows for its
// transform: the budget's default bounds an evaluation to a fraction of
// it.
const transformLeaseAllowance = time.Second

// checkTransform validates a JSONata expression (empty is valid: no
// transform): a syntax error, an unknown function or an over-long or
// over-nested source is refused here; everything else is bounded by the
// evaluation budget when it runs.
func (r *Router) checkTransform(expr string) error {
	if expr == "" {
		return nil
	}
	if _, err := r.transforms.Compile(expr); err != nil {
		return invalid("transform_expression", "%v", err)
	}
	return nil
}

package runner

import (
	"context"
	"sync"
)

// ahead runs work a matrix's rows will need before they need it, in
// lanes: each lane runs its jobs one after the other, in the order given,
// and the lanes run side by side (the kernel downloads, bound by the
// network, beside the cross-builds and the kernel build, which run at a
// low CPU priority). A row takes a job's result with take, waiting for it
// if it has not finished; work nobody prepared is done by the row itself,
// as without ahead.
type ahead struct {
	mu   sync.Mutex
	jobs map[string]*aheadJob
	wg   sync.WaitGroup
}

// laneJob is one job of a lane: key names its result for take ("": a job
// whose result nobody takes, e.g. one that fills a cache).
type laneJob struct {
	key string
	run func(context.Context) (any, error)
}

// aheadJob is a job's result, once done is closed.
type aheadJob struct {
	done chan struct{}
	val  any
	err  error
}

func newAhead() *ahead { return &ahead{jobs: map[string]*aheadJob{}} }

// lane starts running jobs in order, after the channel after is closed (nil:
// at once); the channel it returns is closed when the lane has ended. When
// ctx ends, the jobs not yet run end with ctx's error. A key already taken
// by another lane's job is run but not registered again.
func (a *ahead) lane(ctx context.Context, after <-chan struct{}, jobs []laneJob) <-chan struct{} {
	mine := make([]*aheadJob, len(jobs))
	a.mu.Lock()
	for i, j := range jobs {
		mine[i] = &aheadJob{done: make(chan struct{})}
		if _, dup := a.jobs[j.key]; j.key != "" && !dup {
			a.jobs[j.key] = mine[i]
		}
	}
	a.mu.Unlock()
	end := make(chan struct{})
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(end)
		if after != nil {
			select {
			case <-after:
			case <-ctx.Done():
			}
		}
		for i, j := range jobs {
			if err := ctx.Err(); err != nil {
				mine[i].err = err
			} else {
				mine[i].val, mine[i].err = j.run(ctx)
			}
			close(mine[i].done)
		}
	}()
	return end
}

// take returns the result of the job key, waiting until it is done or ctx
// ends; ok is false when no lane has that job (or it was taken already:
// each result is for one row). a may be nil.
func (a *ahead) take(ctx context.Context, key string) (val any, ok bool, err error) {
	if a == nil {
		return nil, false, nil
	}
	a.mu.Lock()
	j := a.jobs[key]
	delete(a.jobs, key)
	a.mu.Unlock()
	if j == nil {
		return nil, false, nil
	}
	select {
	case <-j.done:
		return j.val, true, j.err
	case <-ctx.Done():
		return nil, true, ctx.Err()
	}
}

// wait waits until every lane has ended.
func (a *ahead) wait() { a.wg.Wait() }

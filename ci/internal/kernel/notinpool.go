package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// NotInPoolTTL is how long a package version that the archive's pool
// answered 404 for is not asked for again, by any run sharing the cache:
// an index in mid-sync names a version for hours (Debian's mirrors are
// pushed four times a day), and each run would otherwise spend its
// retries on it (3 tries and their back-off: about 20 s for trixie's
// ppc64el kernel, every run, while it lasted). --refresh asks again.
const NotInPoolTTL = 6 * time.Hour

// notInPoolFile lists, per Debian architecture, the package versions the
// pool did not have and when that was seen: {"name=version": time}.
const notInPoolFile = "not-in-pool.json"

// poolMemo is the on-disk memory of 404s of one Debian architecture's
// kernel cache directory.
type poolMemo struct {
	path string
	now  func() time.Time
}

func (d *Debian) notInPoolMemo(debArch string) poolMemo {
	now := d.now
	if now == nil {
		now = time.Now
	}
	return poolMemo{path: filepath.Join(d.Cache, "kernels", debArch, notInPoolFile), now: now}
}

func (n poolMemo) read() map[string]time.Time {
	m := map[string]time.Time{}
	if data, err := os.ReadFile(n.path); err == nil {
		_ = json.Unmarshal(data, &m) // a damaged file is forgotten
	}
	return m
}

// seen returns the error to give for pkg when the pool answered 404 for it
// less than NotInPoolTTL ago, nil otherwise.
func (n poolMemo) seen(pkg Package) error {
	at, ok := n.read()[pkg.Name+"="+pkg.Version]
	if !ok || n.now().Sub(at) >= NotInPoolTTL || n.now().Before(at) {
		return nil
	}
	return &fetchError{err: fmt.Errorf("%s %s: 404 Not Found at %s (remembered in %s; asked again after %s, or with --refresh)",
		pkg.Name, pkg.Version, at.UTC().Format(time.RFC3339), n.path, at.Add(NotInPoolTTL).UTC().Format(time.RFC3339)), tries: 1, seenAt: at}
}

// update records pkg as not in the pool (notFound) or forgets it, dropping
// entries past the TTL; it writes through a rename, so that concurrent runs
// see one version or the other.
func (n poolMemo) update(pkg Package, notFound bool) error {
	m := n.read()
	key := pkg.Name + "=" + pkg.Version
	if _, had := m[key]; !had && !notFound {
		return nil
	}
	for k, at := range m {
		if n.now().Sub(at) >= NotInPoolTTL {
			delete(m, k)
		}
	}
	if notFound {
		m[key] = n.now()
	} else {
		delete(m, key)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(n.path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(n.path), "."+notInPoolFile+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(data, '\n'))
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), n.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("kernel cache: %s: %w", n.path, err)
	}
	return nil
}

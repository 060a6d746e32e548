// Command sleepinit is a PID 1 that never finishes, so only the host
// deadline ends the run. The runner tests use it.
package main

import (
	"fmt"
	"time"
)

func main() {
	fmt.Println("sleepinit: sleeping forever")
	for {
		time.Sleep(time.Hour)
	}
}

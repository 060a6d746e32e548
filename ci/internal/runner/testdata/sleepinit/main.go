// Command sleepinit is a PID 1 that prints its marker once it runs and then
// never finishes. The runner's hang test reaches the host deadline when the
// marker is on the console, so only a hang (never a slow boot) is what it
// sees.
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

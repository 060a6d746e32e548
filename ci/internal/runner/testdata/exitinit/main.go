// Command exitinit is a PID 1 that exits at once, so the kernel panics
// ("Attempted to kill init!"). The runner tests use it.
package main

import "fmt"

func main() {
	fmt.Println("exitinit: exiting as PID 1")
}

/* spin: store the marker, then a tight loop at `spin`. */
	.include "common.inc"
	.globl	_start
_start:
	MARK
spin:	b	spin

/*
 * pio-rep-insb: `rep insb` of BUF_LEN (4) bytes from PIO_PORT into the RAM
 * buffer `buf` (ES:DI, ES = 0), which starts as four 0x11 bytes. String I/O
 * goes through KVM's emulator (complete_emulated_pio).
 */
	.include "common.inc"
	.equ	BUF_LEN, 4
	.globl	_start
_start:
	REAL_START
	movw	$PIO_PORT, %dx
	movw	$buf, %di
	movw	$BUF_LEN, %cx
	cld
insn:	rep insb %dx, %es:(%di)
after:	DONE

	.data
	.p2align 2
buf:	.fill	BUF_LEN, 1, 0x11

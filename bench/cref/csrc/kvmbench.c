/*
 * kvmbench.c: the C reference for kvmconform's benchmarks (package bench).
 *
 * It measures the same four loops as the Go code, on the same guest RAM
 * images, with the same kick protocol and the same pseudo-random kick
 * delays, so the Go harness's cost can be stated as a ratio to plain C:
 *
 *   io-exit              KVM_RUN round trip ending in one PIO (x86) or MMIO
 *                        (arm64) write exit of the exit-loop guest
 *   immediate-exit       KVM_RUN with immediate_exit = 1: EINTR, no entry
 *   kick-immediate-exit  kick latency, spinning guest: the kicker stores
 *                        immediate_exit = 1, then tgkills the vCPU thread
 *                        (the 460df4c1fc7c pattern)
 *   kick-signal-mask     kick latency, the classic pattern: the signal is
 *                        blocked in the thread and unblocked only inside
 *                        KVM_RUN by KVM_SET_SIGNAL_MASK
 *
 * With -cpu N the vCPU thread runs on CPU N only and the kicker on every
 * other CPU the process may use (the Go loops are placed the same way), so
 * that every implementation gets the same placement and KVM's per-CPU
 * state stays loaded.
 *
 * A kick's latency runs from the kicker's clock reading just before it kicks
 * to the vCPU thread's reading just after KVM_RUN returned (CLOCK_MONOTONIC).
 * The kicker waits for the vCPU thread to announce each KVM_RUN (polling with
 * 20 µs sleeps), busy-waits the next delay, reads the clock and kicks.
 * Output: one JSON object per measurement and line on stdout. Errors: one
 * line on stderr, exit status 1. Nothing can hang: a kick that is not
 * answered in 100 ms is counted as lost and repeated.
 *
 * Built by the benchmark command (go run ./cmd/kvmbench) with
 *   gcc -O2 -pthread -static -o kvmbench-c kvmbench.c
 * Only Linux UAPI headers and libc are used. x86_64 and arm64.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KICK_SIGNAL SIGUSR1
#define KICK_TIMEOUT_NS 100000000LL /* re-kick (and count a lost kick) after 100 ms */
#define WATCHDOG_NS 10000000000LL   /* a round-trip loop gets 10 s */
#define POLL_NS 20000                /* the kicker's pause while it waits */

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("kvmbench-c: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin_ns(int64_t d)
{
	int64_t end = now_ns() + d;
	while (now_ns() < end)
		;
}

/* xorshift64*, the same generator as bench.Delays in Go. */
static uint64_t rng_state, rng_seed;
static uint64_t rng_next(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}
/* A kick's delay after the vCPU thread said it enters KVM_RUN: 0-99 µs. */
static int64_t kick_delay_ns(void) { return (int64_t)(rng_next() % 100) * 1000; }

struct ram {
	void *mem;
	size_t size;
};

static struct ram read_ram(const char *path)
{
	struct ram r;
	struct stat st;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	r.size = st.st_size;
	r.mem = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (r.mem == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	close(fd);
	return r;
}

struct vcpu {
	int vm, fd;
	struct kvm_run *run;
	pthread_t thread;
};

static int kvm_fd;
static size_t run_size;

static void setup_vcpu(struct vcpu *v, const char *ram_path, uint64_t ram_base, uint64_t entry)
{
	struct ram ram = read_ram(ram_path);
	v->vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	for (int i = 0; v->vm < 0 && errno == EINTR && i < 10; i++)
		v->vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
#ifdef __x86_64__
	if (ioctl(v->vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		die("KVM_SET_TSS_ADDR: %s", strerror(errno));
#endif
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = ram_base, .memory_size = ram.size,
		.userspace_addr = (uint64_t)(uintptr_t)ram.mem,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	v->fd = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
#if defined(__x86_64__)
	/* Real mode at CS = 0, IP = entry, as arch/x86 SetEntry does. */
	struct kvm_sregs sregs;
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS: %s", strerror(errno));
	struct kvm_regs regs = { .rip = entry, .rflags = 2 };
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS: %s", strerror(errno));
#elif defined(__aarch64__)
	/* As arch/arm64 InitVCPU and SetEntry: preferred target, PSCI 0.2,
	 * PC = entry, PSTATE = EL1h with DAIF masked. */
	struct kvm_vcpu_init init;
	if (ioctl(v->vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die("KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		die("KVM_ARM_VCPU_INIT: %s", strerror(errno));
	uint64_t pc = entry, pstate = 0x3c5;
	struct kvm_one_reg r1 = { .id = 0x6030000000100040ULL, .addr = (uint64_t)(uintptr_t)&pc };
	struct kvm_one_reg r2 = { .id = 0x6030000000100042ULL, .addr = (uint64_t)(uintptr_t)&pstate };
	if (ioctl(v->fd, KVM_SET_ONE_REG, &r1) < 0 || ioctl(v->fd, KVM_SET_ONE_REG, &r2) < 0)
		die("KVM_SET_ONE_REG: %s", strerror(errno));
#else
#error "kvmbench.c supports x86_64 and arm64"
#endif
	v->thread = pthread_self();
}

#ifdef __x86_64__
#define EXIT_LOOP_REASON KVM_EXIT_IO
#else
#define EXIT_LOOP_REASON KVM_EXIT_MMIO
#endif

/* Results, summarised exactly as bench.Summarize does. */
static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int64_t rank(const int64_t *s, int n, int permille)
{
	int k = (int)(((int64_t)n * permille + 999) / 1000); /* nearest rank */
	if (k < 1)
		k = 1;
	return s[k - 1];
}

static void report(const char *name, int64_t *s, int n, int lost)
{
	qsort(s, n, sizeof *s, cmp64);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += s[i];
	printf("{\"name\":\"%s\",\"impl\":\"c\",\"n\":%d,\"lost\":%d,\"min_ns\":%lld,\"p50_ns\":%lld,"
	       "\"p99_ns\":%lld,\"max_ns\":%lld,\"mean_ns\":%.0f}\n",
	       name, n, lost, (long long)s[0], (long long)rank(s, n, 500), (long long)rank(s, n, 990),
	       (long long)s[n - 1], n ? sum / n : 0.0);
	fflush(stdout);
}

/* Round trips: warmup + n KVM_RUNs, each timed. */
static void round_trips(const char *name, struct vcpu *v, int immediate, int n, int warmup)
{
	int64_t *s = calloc(n, sizeof *s);
	int64_t stop = now_ns() + WATCHDOG_NS;
	v->run->immediate_exit = immediate;
	for (int i = 0; i < warmup + n; i++) {
		int64_t t0 = now_ns();
		int r = ioctl(v->fd, KVM_RUN, 0);
		int64_t t1 = now_ns();
		if (immediate) {
			if (r != -1 || errno != EINTR)
				die("%s: KVM_RUN %d = %d (%s), want EINTR", name, i, r, strerror(errno));
		} else if (r != 0 || v->run->exit_reason != EXIT_LOOP_REASON) {
			die("%s: KVM_RUN %d = %d (%s), exit_reason %u, want 0 and %d", name, i, r,
			    r ? strerror(errno) : "ok", v->run->exit_reason, EXIT_LOOP_REASON);
		}
		if (i >= warmup)
			s[i - warmup] = t1 - t0;
		if (t1 > stop)
			die("%s: %d round trips took more than 10 s", name, i + 1);
	}
	v->run->immediate_exit = 0;
	report(name, s, n, 0);
	free(s);
}

/* The kick protocol, shared with Go (bench.kickLoop). */
struct kick {
	struct vcpu *v;
	int mask_pattern; /* 0: immediate_exit + signal, 1: KVM_SET_SIGNAL_MASK */
	int total;
	volatile int ready, done; /* iteration the vCPU is entering / finished */
	int64_t *t0;
	int lost;
};

static void do_kick(struct kick *k)
{
	if (!k->mask_pattern)
		__atomic_store_n(&k->v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(k->v->thread, KICK_SIGNAL);
}

/* The kicker sleeps while it waits for the vCPU thread, so that it does not
 * hold a CPU the vCPU needs (under single-threaded TCG it would hold the
 * whole emulator); only the delay before the kick is a busy wait. */
static void poll_pause(void)
{
	struct timespec ts = { 0, POLL_NS };
	nanosleep(&ts, NULL);
}

/* The CPUs the machine has, and the vCPU thread's CPU (-1: not pinned). */
static cpu_set_t start_cpus;
static int vcpu_cpu = -1;

static void pin_vcpu_thread(void)
{
	if (vcpu_cpu < 0)
		return;
	/* Every configured CPU: the mask this process inherited may be the
	 * one of a pinned thread of its parent; the kernel keeps only the
	 * CPUs the process's cpuset allows. */
	CPU_ZERO(&start_cpus);
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	for (long i = 0; i < ncpu && i < CPU_SETSIZE; i++)
		CPU_SET(i, &start_cpus);
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(vcpu_cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) < 0)
		die("sched_setaffinity(CPU %d): %s", vcpu_cpu, strerror(errno));
}

/* The kicker runs on the CPUs the vCPU thread does not (if there are any). */
static void place_kicker(void)
{
	if (vcpu_cpu < 0)
		return;
	cpu_set_t others = start_cpus;
	CPU_CLR(vcpu_cpu, &others);
	if (CPU_COUNT(&others) > 0 && sched_setaffinity(0, sizeof others, &others) < 0)
		die("sched_setaffinity(kicker): %s", strerror(errno));
}

static void *kicker(void *arg)
{
	struct kick *k = arg;
	place_kicker();
	for (int i = 0; i < k->total; i++) {
		while (__atomic_load_n(&k->ready, __ATOMIC_ACQUIRE) < i)
			poll_pause();
		spin_ns(kick_delay_ns());
		__atomic_store_n(&k->t0[i], now_ns(), __ATOMIC_RELEASE);
		do_kick(k);
		int64_t deadline = now_ns() + KICK_TIMEOUT_NS;
		while (__atomic_load_n(&k->done, __ATOMIC_ACQUIRE) < i) {
			if (now_ns() > deadline) {
				k->lost++;
				do_kick(k);
				deadline += KICK_TIMEOUT_NS;
			}
			poll_pause();
		}
	}
	return NULL;
}

static void on_kick(int sig) { (void)sig; }


static void kick_latency(const char *name, struct vcpu *v, int mask_pattern, int n, int warmup)
{
	struct kick k = { .v = v, .mask_pattern = mask_pattern, .total = warmup + n, .ready = -1, .done = -1 };
	rng_state = rng_seed; /* each kick measurement uses the same delays */
	k.t0 = calloc(k.total, sizeof *k.t0);
	int64_t *s = calloc(n, sizeof *s);
	sigset_t kick_set, old;
	sigemptyset(&kick_set);
	sigaddset(&kick_set, KICK_SIGNAL);
	if (mask_pattern) {
		/* Blocked in the thread; the KVM mask (nothing blocked) lets
		 * it in only inside KVM_RUN. The kernel's sigset is 8 bytes. */
		pthread_sigmask(SIG_BLOCK, &kick_set, &old);
		struct {
			struct kvm_signal_mask m;
			uint64_t set;
		} mask = { .m.len = 8, .set = 0 };
		if (ioctl(v->fd, KVM_SET_SIGNAL_MASK, &mask) < 0)
			die("KVM_SET_SIGNAL_MASK: %s", strerror(errno));
	}
	pthread_t t;
	if (pthread_create(&t, NULL, kicker, &k))
		die("pthread_create failed");
	for (int i = 0; i < k.total; i++) {
		__atomic_store_n(&k.ready, i, __ATOMIC_RELEASE);
		int r = ioctl(v->fd, KVM_RUN, 0);
		int64_t t1 = now_ns();
		if (r != -1 || errno != EINTR)
			die("%s: KVM_RUN %d = %d (%s), exit_reason %u: want EINTR from the kick", name, i, r,
			    r ? strerror(errno) : "ok", v->run->exit_reason);
		int64_t t0 = __atomic_load_n(&k.t0[i], __ATOMIC_ACQUIRE);
		if (t0 == 0)
			die("%s: KVM_RUN %d returned EINTR before it was kicked", name, i);
		if (i >= warmup)
			s[i - warmup] = t1 - t0;
		if (mask_pattern) {
			struct timespec zero = { 0, 0 };
			if (sigtimedwait(&kick_set, NULL, &zero) != KICK_SIGNAL)
				die("%s: kick %d: the signal was not pending after KVM_RUN", name, i);
		} else {
			v->run->immediate_exit = 0;
		}
		__atomic_store_n(&k.done, i, __ATOMIC_RELEASE);
	}
	pthread_join(t, NULL);
	if (mask_pattern) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (ioctl(v->fd, KVM_SET_SIGNAL_MASK, NULL) < 0)
			die("KVM_SET_SIGNAL_MASK(NULL): %s", strerror(errno));
	}
	report(name, s, n, k.lost);
	free(s);
	free(k.t0);
}

static void usage(void)
{
	die("usage: kvmbench-c -exit-loop RAM -exit-entry ADDR -spin RAM -spin-entry ADDR "
	    "-ram-base ADDR [-n N] [-kicks N] [-warmup N] [-seed N] [-cpu N] [-device PATH]");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "-selftest")) {
		/* For bench's unit test: the delay sequence of seed 460 and the
		 * summary of fixed samples, to compare with the Go code. */
		rng_state = 460;
		printf("{\"delays_us\":[");
		for (int i = 0; i < 16; i++)
			printf("%s%lld", i ? "," : "", (long long)(kick_delay_ns() / 1000));
		printf("]}\n");
		int64_t s[200];
		for (int i = 0; i < 200; i++)
			s[i] = (int64_t)((i * 7919) % 200) * 10 + 3;
		report("selftest", s, 200, 2);
		return 0;
	}
	const char *exit_ram = NULL, *spin_ram = NULL, *device = "/dev/kvm";
	uint64_t exit_entry = 0, spin_entry = 0, ram_base = 0, seed = 460;
	int n = 10000, kicks = 2000, warmup = 100;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *val = argv[++i];
		char *end;
		uint64_t num = strtoull(val, &end, 0);
		int is_num = *val && !*end;
		if (!strcmp(a, "-exit-loop")) exit_ram = val;
		else if (!strcmp(a, "-spin")) spin_ram = val;
		else if (!strcmp(a, "-device")) device = val;
		else if (!is_num) die("%s %s: not a number", a, val);
		else if (!strcmp(a, "-exit-entry")) exit_entry = num;
		else if (!strcmp(a, "-spin-entry")) spin_entry = num;
		else if (!strcmp(a, "-ram-base")) ram_base = num;
		else if (!strcmp(a, "-n")) n = (int)num;
		else if (!strcmp(a, "-kicks")) kicks = (int)num;
		else if (!strcmp(a, "-warmup")) warmup = (int)num;
		else if (!strcmp(a, "-seed")) seed = num;
		else if (!strcmp(a, "-cpu") && num < CPU_SETSIZE) vcpu_cpu = (int)num;
		else usage();
	}
	if (!exit_ram || !spin_ram || n < 1 || kicks < 1 || seed == 0)
		usage();
	rng_seed = seed;
	pin_vcpu_thread();

	kvm_fd = open(device, O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("%s: %s", device, strerror(errno));
	int sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	run_size = sz;
	struct sigaction sa = { .sa_handler = on_kick }; /* no SA_RESTART */
	sigaction(KICK_SIGNAL, &sa, NULL);

	struct vcpu io, spin;
	setup_vcpu(&io, exit_ram, ram_base, exit_entry);
	round_trips("io-exit", &io, 0, n, warmup);
	round_trips("immediate-exit", &io, 1, n, warmup);
	setup_vcpu(&spin, spin_ram, ram_base, spin_entry);
	kick_latency("kick-immediate-exit", &spin, 0, kicks, warmup / 10);
	kick_latency("kick-signal-mask", &spin, 1, kicks, warmup / 10);
	return 0;
}

"""End-to-end tests: the real handler in AWS's Runtime Interface Emulator, the R package, the benchmarks."""

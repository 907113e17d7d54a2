# Thin wrapper over CMake: the two commands a newcomer needs are `make run` and `make test`.
JOBS ?= 2
BUILD ?= build
SAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
# `make fuzz` runs each libFuzzer target this long (seconds); `make test` runs each FUZZ_SHORT_SECONDS.
FUZZ_SECONDS ?= 300
FUZZ_SHORT_SECONDS ?= 10
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps build run test test-fast test-asan test-fuzz fuzz fuzz-build bench docs clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The built-in comparison of treatment arms; it says where the report is.
run: build
	./$(BUILD)/exosim compare

# Every test, in the optimised build and again under AddressSanitizer + UBSan.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-fuzz

test-asan: deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXO_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (fuzz/, docs/fuzzing.md), built with clang, AddressSanitizer and UBSan.
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DEXO_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

# Each target for FUZZ_SECONDS on its growing corpus in $(FUZZ_BUILD)/corpus/ (seeded from the
# repository); reproducers go to $(FUZZ_BUILD)/findings/TARGET/, and any finding fails.
fuzz: fuzz-build
	@./fuzz/corpus.sh $(FUZZ_BUILD)/corpus
	@./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus

# The short run of `make test`: each target for FUZZ_SHORT_SECONDS from the seeds alone.
test-fuzz: fuzz-build
	@rm -rf $(FUZZ_BUILD)/corpus-short
	@./fuzz/corpus.sh $(FUZZ_BUILD)/corpus-short >/dev/null
	@./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SHORT_SECONDS) $(FUZZ_BUILD)/corpus-short

# Figures and ratios measured in one run; the SciPy reference needs Debian's python3-scipy.
bench: build
	@./scripts/install-deps.sh bench
	@./$(BUILD)/exo_bench_systemic | tee $(BUILD)/bench-systemic.txt
	@./$(BUILD)/exo_bench_fields | tee $(BUILD)/bench-fields.txt
	@./$(BUILD)/exo_bench_tissue --svg $(BUILD)/tissue_scaling.svg | tee $(BUILD)/bench-tissue.txt
	@/usr/bin/python3 bench/scipy_reference.py $(BUILD)/bench-systemic.txt

# Figures generated from the models themselves (Graphviz from Debian).
docs: build
	@./scripts/install-deps.sh docs
	@mkdir -p docs/figures
	@for m in $$(./$(BUILD)/exosim models | awk '{print $$1}'); do \
	  f=docs/figures/$$(echo $$m | tr / -).dot; \
	  ./$(BUILD)/exosim graph $$m > $$f && dot -Tsvg $$f -o $${f%.dot}.svg && echo "wrote $${f%.dot}.svg"; \
	done

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)

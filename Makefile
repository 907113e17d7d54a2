# Thin wrapper over CMake: the two commands a newcomer needs are `make run` and `make test`.
JOBS ?= 2
BUILD ?= build
SAN_BUILD ?= build-asan
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps build run test test-fast test-asan bench docs clean

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

test-asan: deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEXO_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# Figures and ratios measured in one run; the SciPy reference needs Debian's python3-scipy.
bench: build
	@./scripts/install-deps.sh bench
	@./$(BUILD)/exo_bench_systemic | tee $(BUILD)/bench-systemic.txt
	@./$(BUILD)/exo_bench_fields | tee $(BUILD)/bench-fields.txt
	@./$(BUILD)/exo_bench_tissue | tee $(BUILD)/bench-tissue.txt
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
	rm -rf $(BUILD) $(SAN_BUILD)

# Thin wrapper around CMake: `make run` and `make test` do the whole set-up on a fresh Debian
# bookworm machine (missing packages, configure, build) and then run the default platform or every
# test. CMAKE_FLAGS adds configure options (CI passes -DIOMMU_VP_WERROR=ON).

BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
CMAKE_FLAGS    ?=
JOBS           ?= $(shell nproc)
CONFIG         ?= vp_configs/default.yaml

# ccache: hit across clones at other paths (paths relative to the source tree, cwd not hashed).
# Without `pch_defines` in the sloppiness, ccache never stores a precompiled header: one restored in a
# clone at another path would crash GCC (see CMakeLists.txt).
export CCACHE_BASEDIR  := $(CURDIR)
export CCACHE_NOHASHDIR := true
export CCACHE_SLOPPINESS := time_macros,include_file_mtime,include_file_ctime

.PHONY: all deps configure build run test test-asan bench reference clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/platform/iommu-vp run $(CONFIG) --stats $(BUILD_DIR)/run-stats.json
	@echo "statistics: $(BUILD_DIR)/run-stats.json"

test: build
	ctest --test-dir $(BUILD_DIR) -j $(JOBS) --output-on-failure

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer, in its own folder.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOMMU_VP_SANITIZE=ON \
	      -DIOMMU_VP_BUILD_BENCH=OFF -DIOMMU_VP_PCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD_DIR) -j $(JOBS) --output-on-failure

bench: build
	SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 $(BUILD_DIR)/bench/iommu_vp_bench
	$(BUILD_DIR)/bench/iommu_vp_core_bench --benchmark_min_time=0.2

# Regenerates vp_configs/reference.yaml from the schema (a test fails when they differ).
reference: build
	$(BUILD_DIR)/platform/iommu-vp config --reference > vp_configs/reference.yaml

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)

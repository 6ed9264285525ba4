// Test-side TLM-2.0 parts shared by the model tests: a target that records what reaches it, an
// initiator that runs a test body in an SC_THREAD and drives loosely-timed (b_transport) or
// approximately-timed (nb_transport, base protocol) transactions, and an interrupt sink that records
// what the interrupt controller delivers.
#pragma once

#include "models/common/master_attrs.h"
#include "models/common/payload.h"
#include "models/irq/interrupt_controller.h"

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace iommu_vp::testing {

inline sc_core::sc_time ns(double n) { return sc_core::sc_time(n, sc_core::SC_NS); }

// ---------------------------------------------------------------------------------------------
// A target that records every transaction. Reads return (address + i) & 0xff in byte i, so a test
// can see which address the target was given.

struct RecordedTransaction {
    tlm::tlm_command command = tlm::TLM_IGNORE_COMMAND;
    std::uint64_t address = 0;
    unsigned length = 0;
    std::vector<std::uint8_t> data;       // write data as received
    std::optional<MasterAttrs> attrs;     // copy of the extension, if any
    sc_core::sc_time arrival;             // kernel time plus the annotated delay at the call

    bool is_read() const { return command == tlm::TLM_READ_COMMAND; }
};

class RecordingTarget : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<RecordingTarget> socket;

    sc_core::sc_time latency = sc_core::SC_ZERO_TIME;  // added to the annotated delay
    // Response status per transaction (default: OK for everything).
    std::function<tlm::tlm_response_status(const RecordedTransaction&)> respond;
    std::vector<RecordedTransaction> transactions;
    std::vector<RecordedTransaction> debug_transactions;

    // DMI: when granted, [dmi_start, dmi_end] of this target's address space is backed by dmi_memory.
    bool grant_dmi = false;
    std::uint64_t dmi_start = 0;
    std::uint64_t dmi_end = 0;
    std::vector<std::uint8_t> dmi_memory;
    std::vector<std::uint64_t> dmi_requests;  // addresses asked for

    explicit RecordingTarget(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
        socket.register_b_transport(this, &RecordingTarget::b_transport);
        socket.register_transport_dbg(this, &RecordingTarget::transport_dbg);
        socket.register_get_direct_mem_ptr(this, &RecordingTarget::get_direct_mem_ptr);
    }

    void set_dmi(std::uint64_t start, std::uint64_t end) {
        grant_dmi = true;
        dmi_start = start;
        dmi_end = end;
        dmi_memory.assign(end - start + 1, 0);
    }

    // Tells every initiator that direct pointers to [start, end] are no longer valid.
    void invalidate(std::uint64_t start, std::uint64_t end) { socket->invalidate_direct_mem_ptr(start, end); }

private:
    RecordedTransaction record(tlm::tlm_generic_payload& p, const sc_core::sc_time& delay) const {
        RecordedTransaction t;
        t.command = p.get_command();
        t.address = p.get_address();
        t.length = p.get_data_length();
        if (p.is_write()) t.data.assign(p.get_data_ptr(), p.get_data_ptr() + p.get_data_length());
        if (const MasterAttrs* attrs = find_master_attrs(p)) t.attrs = *attrs;
        t.arrival = sc_core::sc_time_stamp() + delay;
        return t;
    }

    static void fill_read(tlm::tlm_generic_payload& p) {
        for (unsigned i = 0; i < p.get_data_length(); ++i)
            p.get_data_ptr()[i] = static_cast<std::uint8_t>(p.get_address() + i);
    }

    void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
        transactions.push_back(record(p, delay));
        const tlm::tlm_response_status status = respond ? respond(transactions.back()) : tlm::TLM_OK_RESPONSE;
        if (status == tlm::TLM_OK_RESPONSE && p.is_read()) fill_read(p);
        delay += latency;
        p.set_response_status(status);
    }

    unsigned int transport_dbg(tlm::tlm_generic_payload& p) {
        debug_transactions.push_back(record(p, sc_core::SC_ZERO_TIME));
        if (p.is_read()) fill_read(p);
        return p.get_data_length();
    }

    bool get_direct_mem_ptr(tlm::tlm_generic_payload& p, tlm::tlm_dmi& dmi) {
        dmi_requests.push_back(p.get_address());
        if (!grant_dmi) {
            dmi.allow_none();
            return false;
        }
        dmi.set_dmi_ptr(dmi_memory.data());
        dmi.set_start_address(dmi_start);
        dmi.set_end_address(dmi_end);
        dmi.allow_read_write();
        return true;
    }
};

// ---------------------------------------------------------------------------------------------
// An initiator whose SC_THREAD runs `body`. Loosely-timed helpers call b_transport; at_transact()
// runs one transaction through the base protocol's four phases.

struct LtResult {
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    sc_core::sc_time delay;               // annotated delay on return
    std::vector<std::uint8_t> data;       // read data
};

struct AtResult {
    tlm::tlm_sync_enum first_return = tlm::TLM_ACCEPTED;  // return of the BEGIN_REQ call
    std::vector<tlm::tlm_phase> backward_phases;           // phases the target sent on the backward path
    sc_core::sc_time begin_resp_at = sc_core::SC_ZERO_TIME;  // when the response started (or completed)
    bool completed = false;                                // the protocol reached its end
};

enum class EndResp {
    complete_on_backward_path,  // answer BEGIN_RESP with TLM_COMPLETED
    send_on_forward_path,       // answer TLM_ACCEPTED, then send END_RESP on the forward path
};

class TestInitiator : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<TestInitiator> socket;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> invalidations;  // invalidate_direct_mem_ptr ranges

    SC_HAS_PROCESS(TestInitiator);
    TestInitiator(sc_core::sc_module_name name, std::function<void(TestInitiator&)> body)
        : sc_module(name), socket("socket"), body_(std::move(body)) {
        socket.register_nb_transport_bw(this, &TestInitiator::nb_transport_bw);
        socket.register_invalidate_direct_mem_ptr(this, &TestInitiator::invalidate_direct_mem_ptr);
        SC_THREAD(run);
    }

    LtResult read(std::uint64_t address, unsigned length, sc_core::sc_time delay = sc_core::SC_ZERO_TIME,
                  const MasterAttrs* attrs = nullptr) {
        LtResult r;
        r.data.assign(length, 0);
        r.status = transport(true, address, r.data.data(), length, delay, attrs);
        r.delay = delay;
        return r;
    }

    LtResult write(std::uint64_t address, std::vector<std::uint8_t> data, sc_core::sc_time delay = sc_core::SC_ZERO_TIME,
                   const MasterAttrs* attrs = nullptr) {
        LtResult r;
        r.data = std::move(data);
        r.status = transport(false, address, r.data.data(), static_cast<unsigned>(r.data.size()), delay, attrs);
        r.delay = delay;
        return r;
    }

    // A 32-bit little-endian write.
    LtResult write32(std::uint64_t address, std::uint32_t value, sc_core::sc_time delay = sc_core::SC_ZERO_TIME) {
        return write(address,
                     {static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
                      static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)},
                     delay);
    }

    unsigned debug(bool is_read, std::uint64_t address, std::vector<std::uint8_t>& data) {
        tlm::tlm_generic_payload p;
        prepare_payload(p, is_read, address, data.data(), static_cast<unsigned>(data.size()));
        return socket->transport_dbg(p);
    }

    bool get_dmi(std::uint64_t address, tlm::tlm_dmi& dmi, bool is_read = true) {
        tlm::tlm_generic_payload p;
        std::uint8_t dummy = 0;
        prepare_payload(p, is_read, address, &dummy, 1);
        dmi.init();
        return socket->get_direct_mem_ptr(p, dmi);
    }

    // Runs `p` through BEGIN_REQ .. END_RESP from the calling thread, handling every return the
    // base protocol allows (TLM_COMPLETED, TLM_UPDATED with END_REQ or BEGIN_RESP, TLM_ACCEPTED).
    AtResult at_transact(tlm::tlm_generic_payload& p, EndResp end_resp = EndResp::complete_on_backward_path) {
        AtResult result;
        current_ = &p;
        result_ = &result;
        end_resp_ = end_resp;
        response_started_ = false;
        p.set_mm(&mm_);
        p.acquire();

        tlm::tlm_phase phase = tlm::BEGIN_REQ;
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        result.first_return = socket->nb_transport_fw(p, phase, t);
        if (result.first_return == tlm::TLM_COMPLETED) {
            result.begin_resp_at = sc_core::sc_time_stamp() + t;
            wait(t);
            result.completed = true;
        } else if (result.first_return == tlm::TLM_UPDATED && phase == tlm::BEGIN_RESP) {
            result.begin_resp_at = sc_core::sc_time_stamp() + t;
            wait(t);
            send_end_resp(result);
        } else {
            // TLM_ACCEPTED, or TLM_UPDATED with END_REQ: the response comes on the backward path.
            while (!response_started_) wait(response_event_);
            if (end_resp_ == EndResp::send_on_forward_path)
                send_end_resp(result);
            else
                result.completed = true;
        }
        p.release();
        p.set_mm(nullptr);
        current_ = nullptr;
        result_ = nullptr;
        return result;
    }

private:
    class NoFreeMm : public tlm::tlm_mm_interface {
    public:
        void free(tlm::tlm_generic_payload*) override {}  // payloads belong to the tests
    };

    void run() { body_(*this); }

    tlm::tlm_response_status transport(bool is_read, std::uint64_t address, std::uint8_t* data, unsigned length,
                                       sc_core::sc_time& delay, const MasterAttrs* attrs) {
        tlm::tlm_generic_payload p;
        prepare_payload(p, is_read, address, data, length);
        MasterAttrs copy = attrs ? *attrs : MasterAttrs();
        if (attrs) p.set_extension(&copy);
        socket->b_transport(p, delay);
        if (attrs) p.clear_extension(&copy);
        return p.get_response_status();
    }

    void send_end_resp(AtResult& result) {
        tlm::tlm_phase phase = tlm::END_RESP;
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        const tlm::tlm_sync_enum status = socket->nb_transport_fw(*current_, phase, t);
        result.completed = status == tlm::TLM_COMPLETED;
    }

    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& p, tlm::tlm_phase& phase, sc_core::sc_time& t) {
        if (&p != current_ || !result_) {
            ADD_FAILURE() << "backward call for a transaction that is not in progress";
            return tlm::TLM_COMPLETED;
        }
        result_->backward_phases.push_back(phase);
        if (phase == tlm::END_REQ) return tlm::TLM_ACCEPTED;
        if (phase != tlm::BEGIN_RESP) {
            ADD_FAILURE() << "unexpected phase on the backward path: " << phase;
            return tlm::TLM_ACCEPTED;
        }
        result_->begin_resp_at = sc_core::sc_time_stamp() + t;
        response_started_ = true;
        response_event_.notify(t);
        if (end_resp_ == EndResp::send_on_forward_path) return tlm::TLM_ACCEPTED;
        return tlm::TLM_COMPLETED;
    }

    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) { invalidations.emplace_back(start, end); }

    std::function<void(TestInitiator&)> body_;
    NoFreeMm mm_;
    tlm::tlm_generic_payload* current_ = nullptr;
    AtResult* result_ = nullptr;
    EndResp end_resp_ = EndResp::complete_on_backward_path;
    bool response_started_ = false;
    sc_core::sc_event response_event_;
};

// ---------------------------------------------------------------------------------------------
// The CPU side of the interrupt controller, recording what it is given and when.

class RecordingInterruptSink : public sc_core::sc_module, public InterruptSinkIf {
public:
    struct Vector {
        sc_core::sc_time at;
        std::uint32_t vector;
    };
    struct Line {
        sc_core::sc_time at;
        unsigned line;
        bool level;
    };
    std::vector<Vector> vectors;
    std::vector<Line> lines;

    explicit RecordingInterruptSink(sc_core::sc_module_name name) : sc_module(name) {}

    void set_line(unsigned line, bool level) override { lines.push_back({sc_core::sc_time_stamp(), line, level}); }
    void raise_vector(std::uint32_t vector) override { vectors.push_back({sc_core::sc_time_stamp(), vector}); }
};

}  // namespace iommu_vp::testing

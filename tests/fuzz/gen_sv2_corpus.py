#!/usr/bin/env python3
"""Writes the seed corpus of the SV2 frame and message fuzzer (tests/fuzz/corpus_sv2/).

Each seed is a stream of plaintext SV2 frames (tests/fuzz/sv2_fuzz_target.h). Seeds are named for
what the replay test checks: valid_* decode completely, session_* also make the client session
deliver a job and answer shares, bad_* must produce an error. Run from anywhere:
    python3 tests/fuzz/gen_sv2_corpus.py
"""
import os
import struct

CHANNEL = 0x8000


def u8(v): return struct.pack('<B', v)
def u16(v): return struct.pack('<H', v)
def u24(v): return struct.pack('<I', v)[:3]
def u32(v): return struct.pack('<I', v)
def u64(v): return struct.pack('<Q', v)
def f32(v): return struct.pack('<f', v)
def b0_255(b): return u8(len(b)) + b
def b0_64k(b): return u16(len(b)) + b
def s(text): return b0_255(text.encode())
def opt_u32(v): return u8(0) if v is None else u8(1) + u32(v)
def seq_u256(hashes): return u8(len(hashes)) + b''.join(hashes)
def seq_u32(vals): return u16(len(vals)) + b''.join(u32(v) for v in vals)


def frame(msg_type, payload, channel=False, ext=0):
    return u16(ext | (CHANNEL if channel else 0)) + u8(msg_type) + u24(len(payload)) + payload


MAX_TARGET = b'\xff' * 32
TARGET = bytes(22) + b'\xff' * 3 + bytes(7)  # A nonzero target (difficulty ~2^24).
PREV_HASH = bytes(range(32))
COINB1 = bytes.fromhex('01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff1503a0bb0d08')
COINB2 = bytes.fromhex('0c2f73796e74682d706f6f6c2fffffffff01') + bytes(8) + bytes.fromhex('00000000')


def setup_connection(): return frame(0x00, u8(0) + u16(2) + u16(2) + u32(4) + s('127.0.0.1') + u16(3336) + s('synth') + s('m') + s('synth/0.1') + s(''))
def setup_success(flags=2): return frame(0x01, u16(2) + u32(flags))
def setup_error(): return frame(0x02, u32(4) + s('unsupported-feature-flags'))
def endpoint_changed(): return frame(0x03, u32(1), channel=True)
def reconnect(): return frame(0x04, s('pool.example') + u16(3336))
def open_standard(): return frame(0x10, u32(5) + s('alice') + f32(1e9) + MAX_TARGET)
def open_error(): return frame(0x12, u32(1) + s('unknown-user'))
def open_extended(): return frame(0x13, u32(1) + s('alice.rig') + f32(1e12) + MAX_TARGET + u16(4))
def open_extended_success(target=TARGET, size=4): return frame(0x14, u32(1) + u32(7) + target + u16(size) + b0_255(b'\xe1\xe2\xe3\xe4') + u32(70))
def update_channel(): return frame(0x16, u32(7) + f32(2e12) + MAX_TARGET, channel=True)
def update_channel_error(): return frame(0x17, u32(7) + s('invalid-channel-id'), channel=True)
def close_channel(ch=7): return frame(0x18, u32(ch) + s('shutdown'), channel=True)
def set_prefix(prefix=b'\xf1\xf2'): return frame(0x19, u32(7) + b0_255(prefix), channel=True)
def submit_extended(seq=0): return frame(0x1b, u32(7) + u32(seq) + u32(1) + u32(0x1234) + u32(1700000000) + u32(0x20002000) + b0_255(b'\x01\x02\x03\x04'), channel=True)
def submit_success(last=0, count=1): return frame(0x1c, u32(7) + u32(last) + u32(count) + u64(1), channel=True)
def submit_error(seq=1, code='stale-share'): return frame(0x1d, u32(7) + u32(seq) + s(code), channel=True)
def new_job(job_id=1, min_ntime=None, ch=7): return frame(0x1f, u32(ch) + u32(job_id) + opt_u32(min_ntime) + u32(0x20000000) + u8(1) + seq_u256([bytes([job_id]) * 32, bytes(32)]) + b0_64k(COINB1) + b0_64k(COINB2), channel=True)
def prev_hash(job_id=1, ch=7): return frame(0x20, u32(ch) + u32(job_id) + PREV_HASH + u32(1700000000) + u32(0x1703a30c), channel=True)
def set_target(target=TARGET): return frame(0x21, u32(7) + target, channel=True)
def set_group(): return frame(0x25, u32(70) + seq_u32([7, 8]))


SEEDS = {
    'valid_setup_connection': setup_connection(),
    'valid_setup_success': setup_success(),
    'valid_setup_error': setup_error(),
    'valid_channel_endpoint_changed': endpoint_changed(),
    'valid_reconnect': reconnect(),
    'valid_open_standard': open_standard(),
    'valid_open_error': open_error(),
    'valid_open_extended': open_extended(),
    'valid_open_extended_success': open_extended_success(),
    'valid_update_channel': update_channel(),
    'valid_update_channel_error': update_channel_error(),
    'valid_close_channel': close_channel(),
    'valid_set_extranonce_prefix': set_prefix(),
    'valid_submit_extended': submit_extended(),
    'valid_submit_success': submit_success(),
    'valid_submit_error': submit_error(),
    'valid_new_extended_job_future': new_job(),
    'valid_new_extended_job_active': new_job(2, 1700000001),
    'valid_set_new_prev_hash': prev_hash(),
    'valid_set_target': set_target(),
    'valid_set_group_channel': set_group(),
    'valid_all_in_one': setup_success() + open_extended_success() + update_channel() + submit_extended(),
    'session_basic': setup_success() + open_extended_success() + new_job(1) + prev_hash(1)
                     + submit_success(0) + new_job(2, 1700000005) + submit_error(1, 'duplicate-share')
                     + set_target() + set_prefix() + new_job(3, 1700000006) + submit_success(5, 2)
                     + reconnect(),
    'session_group_channel': setup_success(0) + open_extended_success(size=12) + set_group()
                             + new_job(1, ch=70) + prev_hash(1, ch=70) + submit_success(3, 3)
                             + new_job(4) + prev_hash(4) + submit_error(4, 'difficulty-too-low'),
    'bad_truncated_frame': frame(0x21, u32(7) + TARGET, channel=True)[:20],
    'bad_oversize_header': u16(0) + u8(0x1f) + u24(0xffffff) + bytes(16),
    'bad_trailing_bytes': frame(0x21, u32(7) + TARGET + b'\x00', channel=True),
    'bad_extranonce_prefix_over_32': frame(0x19, u32(7) + u8(40) + bytes(40), channel=True),
    'bad_option_with_two_values': frame(0x1f, u32(7) + u32(1) + u8(2) + u32(1) + u32(2), channel=True),
    'bad_string_past_the_end': frame(0x02, u32(0) + u8(200) + b'short'),
    'bad_session_zero_target': setup_success() + open_extended_success(target=bytes(32)),
    'bad_session_job_before_prev_hash': setup_success() + open_extended_success() + new_job(1, 1700000000),
    'bad_session_setup_refused': setup_error(),
    'bad_session_channel_closed': setup_success() + open_extended_success() + close_channel(),
    'bad_session_zero_extranonce': setup_success() + open_extended_success(size=0),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus_sv2')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'{len(SEEDS)} seeds in {out}')


if __name__ == '__main__':
    main()

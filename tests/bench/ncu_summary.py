#!/usr/bin/env python3
"""Summarizes Nsight Compute exports of the sha256d kernels (tests/bench/gpu_bench.sh NCU=1).

  ncu_summary.py TAG.raw.csv TAG.source.csv [...]   # pairs, one per kernel variant

Per variant: issue activity, pipe utilization (ALU, FMA, FMA-heavy) and the warp stall reasons
(cycles per issued instruction); then, from the per-SASS-instruction sampling, where each stall
reason falls by opcode (share of that variant's samples).
"""
import collections
import csv
import re
import sys

RAW = [
    ('issue %', 'smsp__issue_active.avg.pct_of_peak_sustained_active'),
    ('alu %', 'sm__pipe_alu_cycles_active.avg.pct_of_peak_sustained_active'),
    ('fma %', 'sm__pipe_fma_cycles_active.avg.pct_of_peak_sustained_active'),
    ('fmaheavy %', 'sm__pipe_fmaheavy_cycles_active.avg.pct_of_peak_sustained_elapsed'),
    ('warps/sched', 'smsp__warps_active.avg.per_cycle_active'),
    ('eligible/sched', 'smsp__warps_eligible.avg.per_cycle_active'),
]
STALL = 'smsp__average_warps_issue_stalled_%s_per_issue_active.ratio'
REASONS = ['math_pipe_throttle', 'not_selected', 'selected', 'wait', 'dispatch_stall',
           'short_scoreboard', 'no_instruction', 'branch_resolving', 'misc']


def raw_metrics(path):
    rows = list(csv.reader(open(path)))
    return dict(zip(rows[0], rows[2]))


def num(s):
    try:
        return float(s.replace(',', ''))
    except (ValueError, AttributeError):
        return float('nan')


def source_table(path):
    lines = open(path).read().splitlines()
    rows = list(csv.reader(lines[1:]))
    hdr = rows[0]
    col = {h: i for i, h in enumerate(hdr)}
    stalls = [h for h in hdr if h.startswith('stall_') and '(' not in h]
    by_op = collections.defaultdict(lambda: collections.Counter())
    total = collections.Counter()
    for r in rows[1:]:
        if len(r) < len(hdr):
            continue
        m = re.match(r'\s*(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)((?:\.[A-Z0-9_]+)*)', r[col['Source']])
        if not m:
            continue
        op = m.group(1)
        if op == 'IMAD' and '.WIDE' in m.group(2):
            op = 'IMAD.WIDE'
        if op == 'IMAD' and '.HI' in m.group(2):
            op = 'IMAD.HI'
        by_op[op]['count'] += 1
        for s in stalls:
            v = num(r[col[s]])
            if v == v:
                by_op[op][s] += v
                total[s] += v
    return by_op, total, stalls


def main(argv):
    for raw, src in zip(argv[0::2], argv[1::2]):
        tag = re.sub(r'\.raw\.csv$', '', raw.split('/')[-1])
        m = raw_metrics(raw)
        print('== %s' % tag)
        print('  ' + '  '.join('%s %.1f' % (k, num(m.get(v, 'nan'))) for k, v in RAW))
        print('  stalls (cycles per issued instruction): ' + '  '.join(
            '%s %.2f' % (r, num(m.get(STALL % r, 'nan'))) for r in REASONS))
        try:
            by_op, total, stalls = source_table(src)
        except (OSError, KeyError, IndexError) as e:
            print('  (no source table: %s)' % e)
            continue
        samples = sum(total.values()) or 1
        keep = [s for s in stalls if total[s] / samples > 0.01]
        print('  %-10s %6s %7s ' % ('opcode', 'instrs', 'samples') +
              ' '.join('%14s' % s[6:] for s in keep))
        for op, c in sorted(by_op.items(), key=lambda kv: -sum(v for k, v in kv[1].items()
                                                                 if k != 'count')):
            n = sum(v for k, v in c.items() if k != 'count')
            if n / samples < 0.005:
                continue
            print('  %-10s %6d %6.1f%% ' % (op, c['count'], 100 * n / samples) +
                  ' '.join('%13.1f%%' % (100 * c[s] / samples) for s in keep))


if __name__ == '__main__':
    main(sys.argv[1:])

#!/usr/bin/env python3
"""Checks a screenshot: its size, and that it is not blank (the variance of its
pixels' brightness). Standard library only: a small PNG decoder over zlib.

  png_stats.py SHOT.png WIDTH HEIGHT [--darker-than OTHER.png]

Exit 0 when the size matches, the picture is not blank and (with --darker-than) its
mean brightness is below OTHER's; 1 otherwise, saying why.
"""

import struct
import sys
import zlib

# A page with text and charts varies far more than this; a blank or one-color page
# (nothing rendered) is near 0.
MIN_VARIANCE = 100.0


def decode(path):
    """(width, height, rows of brightness 0-255) of an 8-bit RGB/RGBA/grey PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, color type {color}, interlace {interlace})")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        unfilter(kind, line, previous, channels)
        rows.append(brightness(line, channels))
        previous = line
    return width, height, rows


def unfilter(kind, line, previous, bpp):
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = previous[i]
        c = previous[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + a) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + b) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 0xFF
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + predictor) & 0xFF


def brightness(line, channels):
    if channels <= 2:
        return list(line[::channels])
    return [(line[i] * 3 + line[i + 1] * 6 + line[i + 2]) // 10 for i in range(0, len(line), channels)]


def stats(rows):
    values = [v for row in rows for v in row[::4]]
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return mean, variance


def main(argv):
    path, width, height = argv[1], int(argv[2]), int(argv[3])
    w, h, rows = decode(path)
    if (w, h) != (width, height):
        print(f"  {path}: {w}x{h}, expected {width}x{height}", file=sys.stderr)
        return 1
    mean, variance = stats(rows)
    if variance < MIN_VARIANCE:
        print(f"  {path}: blank (brightness variance {variance:.1f})", file=sys.stderr)
        return 1
    if "--darker-than" in argv:
        other = argv[argv.index("--darker-than") + 1]
        other_mean, _ = stats(decode(other)[2])
        if mean >= other_mean:
            print(f"  {path}: mean brightness {mean:.0f}, not below {other}'s {other_mean:.0f}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

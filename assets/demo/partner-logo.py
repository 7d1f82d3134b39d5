# The demo partner's logo: a white signal mark (a dot and three arcs) on transparency, 96 px.
import math, struct, zlib
N, S = 96, 4
cx, cy = N / 2, N * 0.72
def inside(x, y):
    dx, dy = x - cx, y - cy
    r = math.hypot(dx, dy)
    if r <= 7: return True
    ang = math.degrees(math.atan2(-dy, dx))
    if not (45 <= ang <= 135): return False
    return any(abs(r - R) <= 4.5 for R in (20, 34, 48))
rows = []
for j in range(N):
    row = bytearray([0])
    for i in range(N):
        hits = sum(inside(i + (a + .5) / S, j + (b + .5) / S) for a in range(S) for b in range(S))
        row += bytes([255, 255, 255, round(255 * hits / (S * S))])
    rows.append(bytes(row))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
open("assets/demo/partner-logo.png", "wb").write(png)
print(len(png))

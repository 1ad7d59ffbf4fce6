"""Synthetic administrative divisions: split an area into n plausible, exactly tiling pieces."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from .outline import polygonal
from .points import random_points_in

__all__ = ["partition"]

# Samples per cell for the discrete Lloyd steps and the weight fit; bounded so n = 200 stays fast.
_SAMPLES_PER_CELL = 100
_MIN_SAMPLES, _MAX_SAMPLES = 4000, 16000
# Weight fit (power diagram): cheap rounds on the samples, then a few on exact cell areas.
_SAMPLE_FIT_ROUNDS = 40
_EXACT_FIT_ROUNDS = 6
_FIT_GAIN = 0.5


def partition(
    area,
    n: int,
    rng: np.random.Generator,
    *,
    weights=None,
    relax: int = 2,
) -> list[Polygon | MultiPolygon]:
    """Split `area` into exactly `n` valid, non-empty polygonal pieces that tile it.

    Without weights, seeds are drawn uniformly inside the area from `rng` and moved `relax`
    discrete Lloyd steps towards the centres of their cells (few steps: real divisions are not
    a honeycomb); the Voronoi diagram of the seeds, cut by the area's boundary, gives the pieces.
    With `weights` (length n, > 0), seeds start spread in proportion to the weights and a power
    diagram is fitted so that piece areas come out roughly proportional to them (within a few
    per cent on a mainland county; islands cannot be split and may skew it); `relax` is then the
    number of fitting rounds in which seeds also move to their cells' centres.

    A detached part of a piece is handed to the neighbour it shares the longest border with, so
    pieces are single polygons wherever the area's shape allows (islands stay MultiPolygon parts).
    Adjacent pieces share identical vertices: the result is a valid polygon coverage, usable with
    ``shapely.coverage_simplify`` / ``simplify.simplify_coverage``.

    Order: without weights, north → south by piece centroid (ties west → east); with weights,
    piece ``i`` belongs to ``weights[i]``. The same rng state gives the same result.
    """
    if not isinstance(area, (Polygon, MultiPolygon)):
        raise TypeError(f"'area' should be a shapely Polygon or MultiPolygon, got {type(area).__name__}")
    area = polygonal(area)
    if area.is_empty or area.area <= 0:
        raise ValueError("'area' is empty or has no area")
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    if relax < 0:
        raise ValueError(f"relax must be >= 0, got {relax}")
    target = None
    if weights is not None:
        target = np.asarray(weights, dtype=float)
        if target.shape != (n,):
            raise ValueError(f"weights must have length n={n}, got shape {target.shape}")
        if not np.all(np.isfinite(target)) or np.any(target <= 0):
            raise ValueError("weights must be finite and > 0")
        target = target / target.sum()
    if n == 1:
        return [area]

    # Work in a local equal-scale plane: a degree of longitude is shorter than one of latitude,
    # and Voronoi cells in raw degrees would come out stretched east-west.
    plane = _LocalPlane(area)
    plane_area = plane.forward(area)
    m = int(np.clip(_SAMPLES_PER_CELL * n, _MIN_SAMPLES, _MAX_SAMPLES))
    samples = _stratified_samples(plane_area, m, rng)
    if target is None:
        seeds = np.column_stack(random_points_in(plane_area, n, rng))
        power = np.zeros(n)
        for _ in range(int(relax)):
            seeds = _lloyd_step(seeds, power, samples, plane_area)
    else:
        seeds = _bisection_seeds(samples, target, rng)
        seeds = _keep_inside(seeds, _assign(samples, seeds, np.zeros(n)), samples, plane_area)
        seeds, power = _fit_on_samples(seeds, samples, target, plane_area, moves=int(relax))
        power = _fit_on_areas(seeds, power, target, plane_area)

    # A power diagram may leave a seed without a cell when weights are extreme; shrinking the
    # weights towards zero converges to the plain Voronoi diagram, where every seed (inside the
    # area, all distinct) owns a piece.
    for shrink in (1.0, 0.5, 0.25, 0.0):
        pieces = _tile(area, plane, seeds, power * shrink)
        if all(not p.is_empty for p in pieces):
            break
    else:  # unreachable for an area with positive area: a plain Voronoi cell holds its seed
        raise RuntimeError(f"could not split the area into {n} non-empty pieces")
    pieces = _merge_fragments(pieces)
    if target is None:
        centroids = shapely.centroid(np.asarray(pieces, dtype=object))
        keys = [(-round(c.y, 12), round(c.x, 12)) for c in centroids]
        pieces = [pieces[i] for i in sorted(range(n), key=keys.__getitem__)]
    return pieces


class _LocalPlane:
    """lon/lat ↔ a plane where one unit is a degree of latitude in both directions."""

    def __init__(self, area):
        c = area.centroid
        self.lon0, self.lat0 = c.x, c.y
        # Clamped: near a pole (or for coordinates that are not degrees) keep a sane aspect.
        self.kx = max(math.cos(math.radians(self.lat0)), 0.1) if abs(self.lat0) <= 90 else 1.0

    def forward(self, geom):
        return shapely.transform(geom, lambda xy: np.column_stack([(xy[:, 0] - self.lon0) * self.kx, xy[:, 1] - self.lat0]))

    def inverse(self, geom):
        return shapely.transform(geom, lambda xy: np.column_stack([xy[:, 0] / self.kx + self.lon0, xy[:, 1] + self.lat0]))

    def forward_xy(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - self.lon0) * self.kx, xy[:, 1] - self.lat0])


def _stratified_samples(plane_area, m: int, rng: np.random.Generator) -> np.ndarray:
    """About m points inside the area, one jittered point per grid square: cell areas counted
    from them are far less noisy than from independent uniform points."""
    minx, miny, maxx, maxy = plane_area.bounds
    h = math.sqrt(plane_area.area / m)
    xs = np.arange(minx, maxx, h)
    ys = np.arange(miny, maxy, h)
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys))
    gx = gx + rng.uniform(0.0, h, gx.size)
    gy = gy + rng.uniform(0.0, h, gy.size)
    inside = shapely.contains_xy(plane_area, gx, gy)
    if inside.sum() < 3:  # a sliver thinner than the grid: fall back to rejection sampling
        return np.column_stack(random_points_in(plane_area, m, rng))
    return np.column_stack([gx[inside], gy[inside]])


def _assign(points: np.ndarray, seeds: np.ndarray, power: np.ndarray, *, exact: bool = False) -> np.ndarray:
    """Index of the seed with the smallest power distance |x - s|² - w for each point."""
    # |x|² is common to every seed, so it drops out of the argmin: one matrix product. float32 is
    # plenty to label samples (a rare flip at a border only nudges a count) and 3x faster.
    dtype = np.float64 if exact else np.float32
    offset = (np.einsum("ij,ij->i", seeds, seeds) - power).astype(dtype)
    score = points.astype(dtype) @ (-2.0 * seeds.T).astype(dtype)
    score += offset[None, :]
    return np.argmin(score, axis=1)


def _centroid_step(seeds: np.ndarray, labels: np.ndarray, samples: np.ndarray, plane_area) -> np.ndarray:
    """Move each seed to the centre of the samples it owns (one discrete Lloyd step)."""
    n = len(seeds)
    counts = np.bincount(labels, minlength=n)
    moved = seeds.copy()
    has = counts > 0
    moved[has, 0] = np.bincount(labels, weights=samples[:, 0], minlength=n)[has] / counts[has]
    moved[has, 1] = np.bincount(labels, weights=samples[:, 1], minlength=n)[has] / counts[has]
    return _keep_inside(moved, labels, samples, plane_area)


def _lloyd_step(seeds: np.ndarray, power: np.ndarray, samples: np.ndarray, plane_area) -> np.ndarray:
    return _centroid_step(seeds, _assign(samples, seeds, power), samples, plane_area)


def _keep_inside(seeds: np.ndarray, labels: np.ndarray, samples: np.ndarray, plane_area) -> np.ndarray:
    """Seeds must lie inside the area and be distinct, or a Voronoi cell could miss the area."""
    outside = ~shapely.contains_xy(plane_area, seeds[:, 0], seeds[:, 1])
    for i in np.flatnonzero(outside):
        # The centroid of a crescent-shaped cell can fall outside; take the cell's sample
        # nearest to it instead (any sample if the cell caught none).
        own = samples[labels == i]
        pool = own if len(own) else samples
        seeds[i] = pool[np.argmin(((pool - seeds[i]) ** 2).sum(axis=1))]
    _, first = np.unique(seeds, axis=0, return_index=True)
    if len(first) < len(seeds):
        dup = np.setdiff1d(np.arange(len(seeds)), first)
        used = {tuple(s) for s in seeds}
        free = [s for s in samples if tuple(s) not in used]
        for k, i in enumerate(dup):
            seeds[i] = free[k]
    return seeds


def _bisection_seeds(samples: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seeds whose spacing already matches the weights: split the samples recursively, each cut
    across the longer axis (tilted at random so it does not read as a treemap) at the share of
    the weights on each side, and put seed i at the centre of its final share.

    Gradient steps on power weights fix local size errors quickly but move area across the
    whole county very slowly; starting from the right large-scale density avoids that.
    """
    seeds = np.empty((len(target), 2))
    stack = [(samples, rng.permutation(len(target)))]  # shuffled: big and small cells intermix
    while stack:
        pts, idx = stack.pop()
        if len(idx) == 1 or len(pts) < 2 * len(idx):
            # One seed left, or too few samples to split further: spread the seeds over them.
            pool = pts if len(pts) else samples
            seeds[idx] = pool.mean(axis=0) if len(idx) == 1 else pool[rng.choice(len(pool), len(idx))]
            continue
        half = len(idx) // 2
        share = target[idx[:half]].sum() / target[idx].sum()
        centred = pts - pts.mean(axis=0)
        axis = np.linalg.eigh(centred.T @ centred)[1][:, -1]
        angle = math.atan2(axis[1], axis[0]) + rng.uniform(-0.5, 0.5)
        order = np.argsort(pts @ np.array([math.cos(angle), math.sin(angle)]), kind="stable")
        k = min(max(int(round(share * len(pts))), 1), len(pts) - 1)
        stack.append((pts[order[:k]], idx[:half]))
        stack.append((pts[order[k:]], idx[half:]))
    return seeds


def _size_preconditioner(seeds: np.ndarray, areas: np.ndarray, target_areas: np.ndarray) -> np.ndarray:
    """1 / (d area_i / d w_i), estimated: a cell of perimeter P whose neighbours sit at distance D
    grows by about P / (2 D) per unit of weight. Without it small cells next to big ones (small
    P, large D) barely move and big ones overshoot."""
    n = len(seeds)
    d2 = ((seeds[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(d2, np.inf)
    k = min(4, n - 1)
    spacing = np.sqrt(np.partition(d2, k - 1, axis=1)[:, :k]).mean(axis=1)
    # A vanished cell has no perimeter to speak of; size it as it should be.
    perimeter = 2.0 * np.sqrt(np.pi * np.maximum(areas, target_areas))
    return 2.0 * spacing / perimeter


def _fit_on_samples(seeds, samples, target, plane_area, *, moves: int):
    """Power weights so each cell owns about target[i] of the samples; during the first `moves`
    rounds the seeds also move to their cells' centres (capacity-constrained Lloyd)."""
    n, m = len(seeds), len(samples)
    unit = plane_area.area / m
    want = target * m
    power = np.zeros(n)
    for round_ in range(_SAMPLE_FIT_ROUNDS):
        labels = _assign(samples, seeds, power)
        counts = np.bincount(labels, minlength=n)
        if round_ < moves:
            seeds = _centroid_step(seeds, labels, samples, plane_area)
        error = (want - counts) * unit
        power = power + _FIT_GAIN * error * _size_preconditioner(seeds, counts * unit, want * unit)
        power -= power.mean()  # only differences matter; keep the numbers small
    return seeds, power


def _fit_on_areas(seeds, power, target, plane_area) -> np.ndarray:
    """A few corrections on the exact clipped cell areas (the samples are coarse for small
    cells), keeping the best weights seen and halving the step whenever one makes things worse."""
    want = target * plane_area.area

    def areas_of(p):
        return shapely.area(shapely.intersection(_cells(seeds, p, plane_area), plane_area))

    def badness(a):
        with np.errstate(divide="ignore"):
            return float(np.max(np.abs(np.log(a / want)))) if np.all(a > 0) else math.inf

    areas = areas_of(power)
    best = badness(areas)
    gain = _FIT_GAIN
    for _ in range(_EXACT_FIT_ROUNDS):
        trial = power + gain * (want - areas) * _size_preconditioner(seeds, areas, want)
        trial -= trial.mean()
        trial_areas = areas_of(trial)
        score = badness(trial_areas)
        if score < best:
            power, areas, best = trial, trial_areas, score
        else:
            gain *= 0.5
    return power


def _cells(seeds: np.ndarray, power: np.ndarray, plane_area) -> np.ndarray:
    """Voronoi (or power) cells of the seeds in the plane, covering the area's envelope."""
    if not power.any():
        cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=plane_area, ordered=True)
        return np.asarray(shapely.get_parts(cells))
    minx, miny, maxx, maxy = plane_area.bounds
    pad = 0.1 * max(maxx - minx, maxy - miny)
    frame = np.array([[minx - pad, miny - pad], [maxx + pad, miny - pad], [maxx + pad, maxy + pad], [minx - pad, maxy + pad]])
    return np.array([Polygon(v) if len(v) >= 3 else Polygon() for v in _power_cell_vertices(seeds, power, frame)])


def _power_cell_vertices(seeds: np.ndarray, power: np.ndarray, frame: np.ndarray) -> list[np.ndarray]:
    """Each power cell as the frame clipped by its bisecting half-planes (convex polygons)."""
    sq = np.einsum("ij,ij->i", seeds, seeds)
    eps = 1e-12 * float(np.abs(frame).max() ** 2 + 1.0)
    out = []
    for i in range(len(seeds)):
        others = np.delete(np.arange(len(seeds)), i)
        others = others[np.argsort(((seeds[others] - seeds[i]) ** 2).sum(axis=1), kind="stable")]
        # Cell i = {x : 2(s_j - s_i)·x <= |s_j|² - |s_i|² - w_j + w_i} for every j.
        a = 2.0 * (seeds[others] - seeds[i])
        b = sq[others] - sq[i] - power[others] + power[i]
        verts = frame
        while len(verts) >= 3:
            excess = verts @ a.T - b[None, :]
            cutting = np.flatnonzero((excess > eps).any(axis=0))
            if len(cutting) == 0:
                break
            j = cutting[0]  # nearest first: it removes the most, so few clips are needed
            verts = _clip_half_plane(verts, excess[:, j])
        out.append(verts)
    return out


def _clip_half_plane(verts: np.ndarray, excess: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman for one half-plane: keep where excess <= 0."""
    kept = []
    k = len(verts)
    for idx in range(k):
        nxt = (idx + 1) % k
        ec, en = excess[idx], excess[nxt]
        if ec <= 0:
            kept.append(verts[idx])
        if (ec <= 0) != (en <= 0):
            t = ec / (ec - en)
            kept.append(verts[idx] + t * (verts[nxt] - verts[idx]))
    return np.array(kept) if kept else np.empty((0, 2))


def _tile(area, plane: _LocalPlane, seeds: np.ndarray, power: np.ndarray) -> list:
    """Cut the cells by the area through one noded arrangement, so that neighbours share exactly
    the same vertices and the pieces add up to the area with no gaps or overlaps."""
    cells = plane.inverse(_cells(seeds, power, plane.forward(area)))
    linework = shapely.union_all(np.concatenate([shapely.boundary(cells), [area.boundary]]))
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(linework))))
    faces = faces[shapely.area(faces) > 0]
    probes = shapely.point_on_surface(faces)
    px, py = shapely.get_x(probes), shapely.get_y(probes)
    shapely.prepare(area)
    inside = shapely.contains_xy(area, px, py)
    faces, px, py = faces[inside], px[inside], py[inside]
    # Label each face by the diagram's own rule rather than by which cell polygon holds it:
    # independently clipped power cells may disagree by a rounding error along shared edges.
    labels = _assign(plane.forward_xy(np.column_stack([px, py])), seeds, power, exact=True)
    pieces = []
    for i in range(len(seeds)):
        mine = faces[labels == i]
        pieces.append(polygonal(shapely.coverage_union_all(mine)) if len(mine) else Polygon())
    return pieces


def _merge_fragments(pieces: list) -> list:
    """Give every detached part of a piece to the neighbour whose main body it borders most."""
    mains, fragments = [], []
    for i, piece in enumerate(pieces):
        parts = sorted(shapely.get_parts(piece), key=lambda p: -p.area)
        mains.append(parts[0])
        fragments.extend((i, f) for f in parts[1:])
    if not fragments:
        return pieces
    tree = shapely.STRtree(mains)
    extra: dict[int, list] = {i: [] for i in range(len(pieces))}
    for owner, frag in fragments:
        best, best_len = owner, 0.0
        for j in tree.query(frag, predicate="intersects"):
            if j == owner:
                continue
            shared = frag.boundary.intersection(mains[j].boundary).length
            if shared > best_len:
                best, best_len = int(j), shared
        extra[best].append(frag)
    merged = []
    for i, main in enumerate(mains):
        if extra[i]:
            merged.append(polygonal(shapely.coverage_union_all([main, *extra[i]])))
        else:
            merged.append(main)
    return merged

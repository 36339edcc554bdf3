"""Every threshold of the burned-in text scrub, named, in one frozen object (S5).

:data:`TUNING` holds one frozen dataclass per part of the scrub: the threshold finder
(:mod:`cxrkit.dicom.textfind`), the learned detector (:mod:`cxrkit.dicom.learned`), reading
(:mod:`cxrkit.dicom.reading`), following a line's ink (:mod:`cxrkit.dicom.continuation`), the
scrub and its proof (:mod:`cxrkit.dicom.scrub`), tesseract (:mod:`cxrkit.dicom.ocr`) and the
PHI words (:mod:`cxrkit.dicom.phitext`). Each field says what it is, its unit and why it has
its value. Unless a field says otherwise, a value was set by hand on the synthetic
development exports (the classic seed-1 export and the hard seeds 101, 7001, 7002 and 7003;
``docs/burned-in.md``, "Figures"): the reason given is what it guards against.

The modules read ``tuning.TUNING`` when they run, never a copy taken at import, so an
experiment can swap in a changed object (in the process that scrubs; the learned models'
settings, DBNet's thresholds and CLAHE, are read once, when the models are loaded)::

    import dataclasses
    from cxrkit.dicom import tuning

    wider = dataclasses.replace(tuning.TUNING.scrub, margin=0.6)
    tuning.TUNING = dataclasses.replace(tuning.TUNING, scrub=wider)

Examples
--------
>>> TUNING.scrub.margin, TUNING.finder.max_spikes
(0.45, 3)
>>> TUNING.reading.sure("tesseract")
0.7
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FinderTuning:
    """The threshold finder: text levels, glyph components, lines (``textfind.py``)."""

    #: A level's mask covering more than this fraction of the image is the body or the
    #: background, not text, and is dropped.
    max_mask_fraction: float = 0.25
    #: Width of the top and bottom levels, as a fraction of the value range, for the mask that
    #: finds glyphs: modalities draw text at (nearly) the extreme value.
    find_tolerance: float = 0.02
    #: The same for the mask that renders glyphs for OCR: wide, so that anti-aliased edges
    #: stay part of the glyph (only pixels near a found glyph are rendered).
    read_tolerance: float = 0.25
    #: At most this many histogram spikes become levels (a marker box's grey, a text grey).
    max_spikes: int = 3
    #: Median distance of the pixels around glyphs from the glyph value, as a fraction of the
    #: range: drawn text sits on a ground far from its value, the body's pixels that happen to
    #: have that value sit among close values.
    min_contrast: float = 0.12
    #: A spike must stand this many pixels above its neighbours' mean count ...
    min_spike_pixels: int = 150
    #: ... and this fraction of the image's pixels (the bar grows with the image).
    min_spike_share: float = 1e-4
    #: ... and its count must be this many times its neighbours' mean.
    spike_ratio: float = 1.3
    #: Values on each side of a histogram bin that form its neighbourhood.
    spike_window: int = 8
    #: A histogram of fewer values than this has no spikes to find (too few neighbours).
    min_histogram_values: int = 32
    #: At most this many line candidates are read per level (the rest is noise, not text).
    max_lines_per_level: int = 80
    #: A lone component at most this many times as wide as tall is a marker letter, read in
    #: single-glyph mode ("L", "R", "W" are about square).
    lone_glyph_aspect: float = 1.3
    #: A label box runs along at least this share of each of its four sides (its frame may be
    #: broken where glyphs or anti-aliasing touch it).
    frame_share: float = 0.85
    #: A glyph component is at least this many pixels high (smaller is noise) ...
    glyph_min_height: int = 4
    #: ... at most this many pixels or the image's height divided by
    #: :attr:`glyph_height_parts`, whichever is more (larger is anatomy or a label box) ...
    glyph_max_height: int = 12
    glyph_height_parts: int = 8
    #: ... at most the image's width divided by this (a wider component is not one glyph) ...
    glyph_width_parts: int = 3
    #: ... of at least this many pixels ...
    glyph_min_area: int = 5
    #: ... filling at least this share of its box (thin curves like "/" fill little) ...
    glyph_min_fill: float = 0.08
    #: ... and at least this many pixels wide, unless it is at least
    #: :attr:`thin_glyph_height` high ("I", "1", "l" are one or two pixels wide).
    glyph_min_width: int = 2
    thin_glyph_height: int = 6
    #: A solid block (a label box, a collimator edge) fills more than this share of its box,
    #: is wider than :attr:`solid_aspect` of its height and higher than
    #: :attr:`solid_min_height` pixels; thinner solid bars ("-", "_", "I") stay glyphs.
    solid_fill: float = 0.92
    solid_aspect: float = 0.8
    solid_min_height: int = 6
    #: A component filling more than this share of its box and wider than :attr:`box_aspect`
    #: times its height is checked for being a label box's frame.
    box_fill: float = 0.5
    box_aspect: float = 1.5
    #: Glyphs join a line along x when the gap between them is at most this many glyph heights
    #: (a word gap is under one height) ...
    join_gap: float = 0.9
    #: ... they overlap across by at least this share of the smaller one's height ...
    join_overlap: float = 0.45
    #: ... and the taller is at most this many times the smaller (capitals and small
    #: punctuation such as "." or "," of one line).
    join_height_ratio: float = 4
    #: Lone glyphs stacked along y form a vertical line when there are at least this many.
    vertical_min_glyphs: int = 3
    #: A lone glyph is a candidate when at least this many pixels high (smaller lone
    #: components are specks) ...
    lone_min_height: int = 10
    #: ... and its width over height lies in this range.
    lone_min_aspect: float = 0.15
    lone_max_aspect: float = 8
    #: A line of glyphs is a candidate when its glyphs are at least this many pixels high.
    line_min_glyph_height: int = 5
    #: The ring around a line's glyphs whose values are compared with the glyph value: the
    #: glyphs grown by :attr:`ring_inner` to :attr:`ring_outer` pixels (anti-aliased edges
    #: left out).
    ring_inner: int = 1
    ring_outer: int = 3


@dataclass(frozen=True)
class LearnedTuning:
    """The learned detector (PP-OCR's DBNet) and where it looks (``learned.py``)."""

    #: Longer side of the overview pass, in pixels: DBNet finds glyphs of about 8 pixels in
    #: its input, so a 2,000-pixel radiograph's glyphs from about 16 pixels up (about 0.24 s
    #: on one core).
    overview_side: int = 1024
    #: Side of a full-resolution tile, and how much neighbouring tiles overlap, in pixels
    #: (the overlap holds a line of small glyphs cut by a tile's edge).
    tile: int = 384
    tile_overlap: int = 64
    #: Smallest glyph height (pixels, in the original image) the detector is set up to find:
    #: about DBNet's own limit in its input (documents the design; no code compares with it).
    min_glyph: int = 8
    #: A tile is read at full resolution when it holds at least this many strong-edge pixels
    #: (a few glyphs' worth; the smooth body holds none).
    busy_pixels: int = 24
    #: A strong edge: a 3 x 3 morphological gradient of at least this much of the 8-bit range.
    edge_step: int = 48
    #: An overview box at most this fraction of the image's longer side across is a line: its
    #: edges do not make a tile busy.
    known_line_fraction: float = 0.05
    #: A box found turned is the same line as one found as it stands when this share of the
    #: smaller one lies inside the other ...
    same_share: float = 0.9
    #: ... and, holding the other, it is at most this many times as large.
    same_growth: float = 1.5
    #: DBNet's thresholds: a text pixel's probability and a box's mean probability
    #: (rapidocr's defaults; the reading, not the detector, decides what a box is).
    pixel_threshold: float = 0.3
    box_threshold: float = 0.5
    #: How much DBNet's post-processing grows a box around its text kernel (rapidocr's
    #: default); a box's short side over this is its glyph height.
    unclip_ratio: float = 1.6
    #: A detection at least this many pixels on each side (smaller is a speck).
    min_box: int = 4
    #: The overview's local contrast equalisation (CLAHE): clip limit and grid (tiles a side),
    #: so that text on bright or dark anatomy stands out as it does to the eye.
    clahe_clip: float = 3.0
    clahe_grid: int = 8
    #: Percentiles of a tile's values mapped to black and white when it is stretched.
    stretch_percentiles: tuple[float, float] = (1, 99)
    #: Scale of busy tiles when the overview was at full resolution (glyphs of 8–12 pixels,
    #: found at full resolution only in part or not at all).
    fine_scale: float = 2.0
    #: On a downscaled image, clusters of strong edges left unexplained by the full-resolution
    #: tiles are read again at ``fine_scale`` when no wider across than this (pixels; a line
    #: of 9–13-pixel glyphs on its label box, its edges joined ``small_join`` pixels apart),
    #: with ``small_pad`` pixels around them.
    small_cluster: int = 64
    small_join: int = 9
    small_pad: int = 16
    #: A proof window reaches this many box heights (short side) beyond its box, and at
    #: least :attr:`window_min` pixels.
    window_heights: int = 2
    window_min: int = 64
    #: Run the int8 copy of DBNet (:mod:`cxrkit.dicom.quantise`, made at first use from the
    #: float model and cached) instead of the float model: about 1.6 times as fast per call.
    #: Off: its boxes differ a little from the float model's, on which the scrub's rules were
    #: set (a few more markers are lost on the development exports), so it waits for the
    #: rules to be proved on it (``docs/burned-in.md``, "int8 models").
    int8: bool = False


@dataclass(frozen=True)
class ReadingTuning:
    """Reading a region with two engines and its verdict (``reading.py``)."""

    #: A lone glyph that is not kept is removed only when tesseract is at least this sure
    #: (0–100); read less surely it is noise, neither a token nor PHI.
    glyph_confidence: float = 70.0
    #: A PP-OCR reading counts when its score is at least this, at its best orientation.
    learned_score: float = 0.5
    #: A reading that keeps a region must be this sure (PP-OCR's score) ...
    sure_learned: float = 0.8
    #: ... or this (tesseract's confidence / 100); the same bars make a reading legible.
    sure_tesseract: float = 0.7
    #: An upright PP-OCR reading this sure is not read upside down as well.
    sure_reading: float = 0.9
    #: A learned detection with no legible reading is still removed (in doubt, remove) when
    #: the network is this sure and the region is :attr:`learned_line_aspect` times as long as
    #: it is thick.
    sure_text: float = 0.7
    learned_line_aspect: float = 3
    #: One component at least this many times as tall as wide and :attr:`tall_min_height`
    #: pixels high is glyphs of a line along y that touch, not a marker letter.
    tall_aspect: float = 2.5
    tall_min_height: int = 24
    #: Glyph height given to a region at least (pixels): smaller is read as noise anyway.
    min_glyph_height: int = 4
    #: A region whose width over height lies in this range is about square: read at all four
    #: orientations.
    square_min: float = 0.6
    square_max: float = 1.6
    #: Context around a crop: its glyph height divided by this, and at least
    #: :attr:`crop_min_pad` pixels (the engines need a margin of ground).
    crop_pad_parts: int = 2
    crop_min_pad: int = 4
    #: Percentiles of a crop's values mapped to black and white when it is stretched.
    stretch_percentiles: tuple[float, float] = (1, 99)
    #: When less than this share of a crop is light after Otsu's threshold, the text is the
    #: light part and the crop is inverted (the engines want dark text on a light ground).
    light_share: float = 0.5
    #: Legible text holds at least this many letters or digits read surely (two may be a
    #: piece of a glyph or a kept marker).
    legible_min_chars: int = 3
    #: The start or end of a kept word of at least this many characters, left visible by a
    #: box, is no legible text.
    kept_piece_min: int = 3
    #: A misreading of a kept reading is within this share of its letters and digits of
    #: edits, and at least :attr:`misreading_min_edits` (OCR's usual errors in short
    #: technique strings, "kyp" for "kVp").
    misreading_share: float = 0.35
    misreading_min_edits: int = 2
    #: A threshold candidate unread by both engines is text-shaped when its glyphs are at least
    #: this many pixels high and it has :attr:`text_min_glyphs` glyphs or is
    #: :attr:`text_aspect` times as long as high.
    text_min_glyph_height: int = 6
    text_min_glyphs: int = 3
    text_aspect: float = 2

    def sure(self, engine: str) -> float:
        """The score a reading by ``engine`` (``"learned"`` or ``"tesseract"``) must reach to
        keep a region (tesseract's confidence / 100)."""
        return self.sure_learned if engine == "learned" else self.sure_tesseract


@dataclass(frozen=True)
class FollowTuning:
    """Following a removed line's ink past its detected ends (``continuation.py``)."""

    #: A pixel is on an edge of the line's ink when its 3 x 3 gradient reaches this share of
    #: the strong gradients inside the line (their :attr:`edge_percentile`): glyphs keep
    #: their edges where the ground under them turns towards their value and their contrast
    #: fades.
    edge_share: float = 0.25
    edge_percentile: float = 90
    #: ... and at least this gradient (8-bit): below it is noise of the ground.
    min_edge: float = 12.0
    #: A step continues the line when its share of edge pixels reaches this share of the
    #: line's.
    density_share: float = 0.35
    #: How far the walk may reach past each end, in glyph heights.
    max_reach: int = 12
    #: The line's own edges are measured on this many glyph heights next to the end walked
    #: from (its contrast may change along the line).
    end_window: int = 3
    #: Lines shorter than this many glyph heights are not followed (markers, single glyphs).
    min_length: int = 2
    #: Lines with glyphs under this many pixels are not followed (too few edges to measure).
    min_height: int = 4
    #: A walk's step is a glyph height, and at least this many pixels.
    min_step: int = 2


@dataclass(frozen=True)
class ScrubTuning:
    """Joining regions into lines, the boxes, looking again, the proof (``scrub.py``)."""

    #: Margin around a removed line, as a fraction of its glyph height, across the line (and
    #: at least :attr:`min_margin` pixels): anti-aliased edges and descenders.
    margin: float = 0.45
    #: ... and at its ends, where a thin first or last glyph ("I", "1", ":") may have been
    #: missed by both detectors.
    end_margin: float = 1.0
    min_margin: int = 3
    #: A removed line's box that stops within this many glyph heights of the image's edge
    #: reaches the edge: a first or last glyph on the film's border, drawn at the border's
    #: own grey, may have been seen by neither detector (a line's "R" at 4 % contrast on a
    #: saturated MONOCHROME1 border, the rest of the line found).
    edge_gap: float = 1.5
    #: ... and at the line's ends, within this many: two glyphs at the stored maximum on a
    #: ground clipped near it ("UO" of "UOHH DIAG IMAGING", 21 pixels from the edge) are
    #: missed by both detectors while the rest of the line is found.
    end_edge_gap: float = 4.0
    #: The proof counts a PHI token read with at least this score (PP-OCR; tesseract / 100).
    proof_sure: float = 0.6
    #: A region is inside another when this share of its area is ...
    inside_share: float = 0.8
    #: A square region holding a kept region is that marker with its frame or label box when
    #: its longer side is at most this many times the kept region's, and nothing in it reads
    #: as PHI or as legible text off the keep-list.
    frame_reach: float = 2.5
    #: ... but a threshold fragment that reads as two characters at most is a piece of a kept
    #: region that holds this share of it (the end of a turned marker, cut off with a bit of
    #: its ground).
    fragment_share: float = 0.5
    #: The agreements between regions are found again while they keep more, at most this
    #: many times (a region kept by one holds fragments of its own).
    kept_rounds: int = 3
    #: A fragment read as PHI is still a piece of the kept text around it when its best
    #: reading lies within that text with at most this many edits (a technique string split
    #: in two, "74 kVp 2.2" + "mAs"); PHI is never overruled otherwise.
    fragment_edits: int = 1
    #: A square region takes the way of a line that holds this share of it.
    orient_share: float = 0.5
    #: A detection found looking along a line is new unless this share of it lies inside one
    #: of the line's members.
    held_share: float = 0.95
    #: A fragment is a scrap when no reading with at least :attr:`scrap_score` shows more
    #: than this many letters or digits (a piece of a glyph or two names no one).
    scrap_chars: int = 2
    scrap_score: float = 0.5
    #: How far past a removed line's ends the learned detector looks again, in glyph heights,
    #: and how many times a grown line is looked along again.
    extend: int = 12
    extend_rounds: int = 3
    #: Across the line, the strip looked along reaches half a glyph height
    #: (glyph height // :attr:`extend_across_parts`), at least :attr:`min_margin` pixels.
    extend_across_parts: int = 2
    #: Glyphs under this many pixels are looked along at :attr:`extend_small_scale` their
    #: size (DBNet finds faint small text there that it misses at its own).
    extend_small_glyph: int = 16
    extend_small_scale: float = 2.0
    #: A learned detection thicker than this fraction of the image's shorter side and than
    #: :attr:`max_line_pixels` is a structure of the body, not a line of text.
    max_line_fraction: float = 0.06
    max_line_pixels: int = 64
    #: Two regions in a row are on one line when they overlap across by this share of the
    #: smaller's height, the smaller is at least :attr:`same_line_heights` of the larger and
    #: the gap is at most :attr:`same_line_gap` glyph heights of the larger.
    same_line_overlap: float = 0.6
    same_line_heights: float = 0.5
    same_line_gap: float = 2
    #: A box's surroundings read in the proof reach its short side beyond it, at least
    #: :attr:`surround_min` pixels, read with glyphs of that reach // :attr:`surround_parts`
    #: (and at least :attr:`surround_min`).
    surround_min: int = 8
    surround_parts: int = 3
    #: A level that inks more than this share of the surroundings is ground, not text.
    surround_max_ink: float = 0.5
    #: Threshold candidates cover a learned region when they cover this share of its inner
    #: part (its border of glyph height // :attr:`covered_border_parts` left out: the learned
    #: box is unclipped around the ink).
    covered_share: float = 0.6
    covered_border_parts: int = 3


@dataclass(frozen=True)
class OcrTuning:
    """tesseract's scales and page modes (``ocr.py``)."""

    #: How a line crop is read: glyph height (pixels) it is scaled to, tesseract page mode.
    #: The first attempt reads most lines; the others rescue bold or tight fonts.
    line_attempts: tuple[tuple[int, str], ...] = (
        (20, "SINGLE_LINE"),
        (16, "SINGLE_LINE"),
        (40, "RAW_LINE"),
    )
    #: How a lone glyph is read.
    glyph_attempts: tuple[tuple[int, str], ...] = ((34, "SINGLE_CHAR"), (20, "SINGLE_WORD"))
    #: Glyph height (pixels) a block of sparse text is scaled to in the proof.
    block_height: int = 24
    #: White frame around a crop, in pixels after scaling (tesseract misreads glyphs that
    #: touch the image's edge).
    frame: int = 12
    #: A crop is scaled by at least this and at most :attr:`max_scale` (bounds on the
    #: resampling of very large or very small glyphs) ...
    min_scale: float = 0.3
    max_scale: float = 4.0
    #: ... and left as it is when the scale is within this of 1.
    scale_tolerance: float = 0.05


@dataclass(frozen=True)
class WordsTuning:
    """Matching OCR words against the study's values and the keep-list (``phitext.py``)."""

    #: OCR words below this confidence (0–100) count as legible only if they match PHI.
    min_confidence: float = 50.0
    #: Words of at least this many characters match a value within one edit (shorter ones
    #: must match exactly: one edit in "DOE" matches too many words) ...
    one_edit_length: int = 5
    #: ... and of at least this many within two.
    two_edit_length: int = 10
    #: Name parts and identifier words shorter than this are not on the deny-list, and words
    #: shorter than it match none (an initial matches too much).
    min_word: int = 2
    #: Joined values (a whole name, an identifier, a date) on the deny-list have at least
    #: this many characters.
    min_string: int = 4
    #: A time is on the deny-list as a string only with at least this many digits (HHMMSS):
    #: a bare HHMM would match many other numbers of four digits.
    time_min_digits: int = 6
    #: Keep-list words of at least this many characters are matched within one edit.
    keep_fuzzy_length: int = 6
    #: A token with at least this many digits has its digit look-alikes (O, I, S, B) read as
    #: digits.
    digitise_min_digits: int = 2
    #: Text off the keep-list is legible with at least this many letters or digits read
    #: with :attr:`min_confidence`.
    legible_min_chars: int = 2


@dataclass(frozen=True)
class Tuning:
    """The scrub's thresholds, one part per module."""

    finder: FinderTuning = field(default_factory=FinderTuning)
    learned: LearnedTuning = field(default_factory=LearnedTuning)
    reading: ReadingTuning = field(default_factory=ReadingTuning)
    follow: FollowTuning = field(default_factory=FollowTuning)
    scrub: ScrubTuning = field(default_factory=ScrubTuning)
    ocr: OcrTuning = field(default_factory=OcrTuning)
    words: WordsTuning = field(default_factory=WordsTuning)


#: The thresholds the scrub runs with (replace it as a whole to experiment; see above).
TUNING = Tuning()

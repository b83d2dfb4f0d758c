"""Sentences into study drafts with readings.

Study of a sentence: a trial named in it (+ a cohort cue) > a cohort cue alone (trial of the context)
> a new study without a trial name (the opening sentence of a paragraph, or "X et al.", with a patient
count and a product) > the trial of the section heading > the study of the previous sentences of the
paragraph. Readings come from metric/value pairing (relations.py)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from pipeline.model import Document, Mention, Outcome, enclosing
from pipeline.records import allocation
from pipeline.records.cues import Cues, first_canonical, norm_key
from pipeline.records.discourse import (
    CONFIDENCE,
    Context,
    box_reading,
    clause_scopes,
    clause_trial,
    contrast,
    count_parts,
    count_scope,
    is_box,
    pooled_population,
    scope_at,
    scoped_subgroup,
    title_trial,
)
from pipeline.records.doses import dose_readings
from pipeline.records.drafts import StudyDraft, expand_refs
from pipeline.records.name_index import NameIndex
from pipeline.records.relations import Relations

_SENT_END = re.compile(r"(?<=[.!?])(?:\d{1,3}(?:[-–,]\d{1,3})*)?\s+(?=[A-Z(\d])")
_NO_SPLIT = re.compile(r"(?:\bet al|\bvs|\be\.g|\bi\.e|\bFig|\bref|\bno|\bapprox|\bca)\.$", re.IGNORECASE)
_ENROLLED_IN = re.compile(
    r"^\s*(?:patients\s+)?(?:enrolled|included|treated)\s+(?:in|on)\s+(?:the\s+)?$", re.I
)
_ALLOCATED = re.compile(r"\s*(?:patients\s+)?(?:were\s+)?(?:assigned|allocated|randomi[sz]ed|to)\b", re.I)
_OF_THE = re.compile(r"\s*of\s+(?:the\s+)?", re.IGNORECASE)
_COUNT_OPENS = re.compile(r"^\s*(?:(?:among|in|of|for)\s+)?(?:the\s+)?(?:remaining\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Spans:
    spans: list[tuple[int, int]]
    starts: list[int]

    @classmethod
    def of(cls, doc: Document) -> Spans:
        spans = sorted(doc.sentences)
        return cls(spans, [a for a, _ in spans])


def sentences(doc: Document, start: int, end: int, spans: Spans | None = None) -> list[tuple[int, int]]:
    """[start, end) sentence spans inside one block: NER's when it gave them, else a plain splitter.
    `spans` (NER's sentences sorted, and their starts) limits the search to the block: scanning every
    sentence for every block costs blocks x sentences, hours on a 300-page paper."""
    spans = spans or Spans.of(doc)
    lo, hi = bisect_left(spans.starts, start), bisect_right(spans.starts, end + 1)
    own = [(a, b) for a, b in spans.spans[lo:hi] if a >= start and b <= end + 1]
    if own:
        return own
    out, a = [], start
    for m in _SENT_END.finditer(doc.text, start, end):
        if _NO_SPLIT.search(doc.text[max(a, m.start() - 8) : m.start()]):
            continue
        out.append((a, m.start()))
        a = m.end()
    if a < end:
        out.append((a, end))
    return out


class TextReader:
    def __init__(self, doc: Document, cues: Cues, table_drafts: list[StudyDraft]) -> None:
        self.doc, self.cues = doc, cues
        self.tables = table_drafts
        self.rel = Relations(cues)
        self.drafts: dict[tuple[str, ...], StudyDraft] = {}
        self.ner = sorted((m for m in doc.mentions if m.source == "text"), key=lambda m: m.start)
        # trial names a table's trial column gives that NER's vocabulary lacks ("HALCYON NHL-2"):
        # the text naming them means the same study
        names = {d.trial for d in table_drafts if d.trial and len(norm_key(d.trial)) >= 4}
        self.table_trials = {n: _name_re(n) for n in sorted(names, key=len, reverse=True)}
        self.trial_index = NameIndex(list(self.table_trials))  # the names a sentence may hold
        self.page_index: dict[int, list[int]] = {}  # page number -> its place in doc.pages
        for i, page in enumerate(doc.pages):
            self.page_index.setdefault(page.number, []).append(i)
        # the words carrying citation numbers, per place in doc.pages: found once, not per sentence
        self.ref_words = [[w for w in page.words if w.refs] for page in doc.pages]
        self.outcome_keys: dict[int, tuple[StudyDraft, int, set[tuple]]] = {}  # see _add
        self.starts = [m.start for m in self.ner]
        self.spans = Spans.of(doc)
        # the paper reports pooled estimates (a meta-analysis): its counts over studies are pooled too
        self.pools = any(b.kind == "paragraph" and cues.pooled_re.search(b.text) for b in doc.blocks)
        self.analysis = ""
        self.para = _Paragraph()

    def mentions(self, a: int, b: int) -> list[Mention]:
        """NER's mentions of text[a:b], offsets made relative to a (records never finds entities)."""
        return [
            Mention(m.label, m.text, m.canonical, m.start - a, m.end - a, attrs=dict(m.attrs))
            for m in self.ner[bisect_left(self.starts, a) : bisect_left(self.starts, b)]
            if m.end <= b
        ]

    def read(self) -> list[StudyDraft]:
        ctx = Context()
        titles = [b for b in self.doc.blocks if b.kind == "title"]
        ctx.doc_trial = title_trial([m for b in titles for m in self.mentions(b.start, b.end)])
        for block in self.doc.blocks:
            if block.kind not in ("heading", "paragraph"):
                continue
            ms = self.mentions(block.start, block.end)
            if is_box(block.text, ms):  # a flow-diagram box, wherever the layout put it
                self._box(block.start, block.end, ms, ctx)
                continue
            if block.kind == "heading":
                ctx.heading(ms)
                continue
            text = self.doc.text[block.start : block.end]
            if not text[:1].islower():  # a lower-case start continues the paragraph cut by a table
                self.para = _Paragraph(ctx.study)
                ctx.paragraph()
            for k, (a, b) in enumerate(sentences(self.doc, block.start, block.end, self.spans)):
                first = k == 0 and not text[:1].islower()
                self._sentence(a, b, ctx, first)
        self._cohort_counts()
        return list(self.drafts.values())

    def _cohort_counts(self) -> None:
        """A subgroup count naming one of its trial's cohorts ("It enrolled 181 patients: 70 with
        X-high tumours, …" in a trial whose X-high cohort the text reports) is that cohort's n."""
        cohorts = [d for d in self.drafts.values() if d.trial and len(norm_key(d.cohort)) >= 3]
        for d in [d for d in self.drafts.values() if d.trial and not d.cohort]:
            for o in [o for o in d.outcomes if o.metric == "N" and o.subgroup and o.value is not None]:
                same = [c for c in cohorts if norm_key(c.trial) == norm_key(d.trial)]
                named = [c for c in same if norm_key(o.subgroup).startswith(norm_key(c.cohort))]
                c = max(named, key=lambda c: len(c.cohort), default=None)
                if c is None or any(x.metric == "N" and not x.subgroup for x in c.outcomes):
                    continue
                d.outcomes.remove(o)
                o.subgroup = ""
                c.outcomes.append(o)
                c.n = c.n if c.n is not None else int(o.value)

    def _box(self, a: int, b: int, ms: list[Mention], ctx: Context) -> None:
        """A flow-diagram box: an N row of the study the diagram belongs to."""
        s = self.doc.text[a:b]
        r = box_reading(s, ms, self.cues, ctx)
        study = ctx.study or ctx.topic or (self._draft(trial=ctx.doc_trial) if ctx.doc_trial else None)
        if r is not None and study is not None:
            study.pages.add(self.doc.page_of(a))
            self._add(study, self._outcome(r, s, a, "box"))

    def _sentence(self, a: int, b: int, ctx: Context, first: bool) -> None:
        s = self.doc.text[a:b]
        ms = self.mentions(a, b)
        product = first_canonical(ms, "PRODUCT")
        if product:
            ctx.product = ctx.paragraph_product = product
            pm = next(m for m in ms if m.label == "PRODUCT")
            ctx.product_generic = bool(pm.attrs.get("generic"))
        self.analysis = ctx.data_cut(s, self.cues)  # the data cut this sentence's values belong to
        label = self.cues.unnamed.label(s, ms)
        study, how = self._resolve(s, ms, ctx, first)
        self.para.update(self.cues, s, ms, product, label, how)
        if study is None:
            study, how = self._document(), "paper"  # kept only when the paper has no other study
        if how != "paper":
            ctx.study = study
            # a study introduced mid-paragraph is what the paragraph goes on about: one introduced by
            # a design or author cue, or a named trial given with its own count of patients ("a phase
            # II trial (KESTREL-4) was carried out, enrolling 84 patients; …")
            if (how == "named" and (ctx.topic is None or self._counted(s, ms))) or how == "intro":
                ctx.topic = study
        study.pages.add(self.doc.page_of(a))
        if how in ("named", "intro", "cohort"):  # citations of the sentence introducing the study
            study.refs += [r for r in self._refs(a, b) if r not in study.refs]
        if how in ("named", "intro") and not study.phase:
            study.phase = first_canonical(ms, "PHASE")
        # "In this phase I study (NCT…)": an id printed where the sentence refers back to its study
        back = how in ("carried", "topic") and bool(self.cues.unnamed.anaphora.search(s))
        if (how in ("named", "intro") or back) and not study.nct_id:
            # as printed when malformed (NER's canonical is then empty): the quality stage reports it
            study.nct_id = next((m.canonical or m.text for m in ms if m.label == "REGISTRY_ID"), "")
        readings = [*dose_readings(s, ms), *self.rel.readings(s, ms)]
        taken = {r.start for r in readings}  # "3 patients had grade 3 CRS": a count, not the study's n
        # "in the 61 patients who had received X, the ORR was …, and in 19 patients with Y, …"
        parts = [p for p in count_scope(s, ms, self.cues) if study.n is None or _count(p[1]) != study.n]
        for label, count, _ in parts:
            r = _n_reading(count)
            r.subgroup = label
            self._add(study, self._outcome(r, s, a, how))
        n = next(
            (
                m
                for m in ms
                if m.label == "N"
                and _count(m) is not None
                and self._enrolled(s, m)
                and m.start not in taken
                and all(m is not p[1] for p in parts)
            ),
            None,
        )
        has_n = any(o.metric == "N" and not o.subgroup for o in study.outcomes)
        subset = (
            self._subset(s, ms) if how == "subset" else self._of_enrolled(s, ms) if how == "named" else ""
        )
        if how == "pooled":  # every value of a pooled estimate is of the population the sentence names
            subset = pooled_population(s, self.cues)
        alloc = allocation.read(s, ms, self.cues)
        treated = self.cues.treated_of_enrolled_re.search(s)
        if how == "pooled":
            # of a pooled count, only the count over the studies ("… treated 1,277 patients; a further
            # 134 received chemotherapy": not the 134)
            counted = self.cues.pooled_count_re.search(s)
            at = (counted.start("n") if counted.group("n") else counted.start("m")) if counted else -1
            for m in ms:
                if m.label == "N" and _count(m) is not None and (at < 0 or m.start <= at < m.end):
                    r = _n_reading(m)
                    r.subgroup = subset
                    self._add(study, self._outcome(r, s, a, how))
        elif treated is not None and how != "paper":
            # "Of 410 patients registered, 255 had received an infusion": 255 is the study's n, 410
            # the count of the population the verb names
            whole, before = _count_reading(treated, "b"), _count_reading(treated, "a")
            before.subgroup = treated.group("g").lower()
            study.n = study.n if study.n is not None else int(whole.value)
            if not has_n:
                self._add(study, self._outcome(whole, s, a, how))
            self._add(study, self._outcome(before, s, a, how))
        elif alloc is not None:  # "randomised to A (n = 402) or B (n = 398)": each arm's n, and the total
            study.n = study.n if study.n is not None else alloc.total
            for r in alloc.readings:
                r.subgroup = r.subgroup or subset
                self._add(study, self._outcome(r, s, a, how))
            subset = subset or alloc.subgroup
        elif n is not None and subset:
            r = _n_reading(n)
            r.subgroup = subset
            study.outcomes.append(self._outcome(r, s, a, how))
        elif n is not None and not has_n and study.n in (None, _count(n)) and how != "paper":
            study.n = _count(n)
            study.outcomes.append(self._outcome(_n_reading(n), s, a, how))
        for m in ms if alloc is None else []:  # "43 patients (12 in phase Ib and 31 in phase II)"
            for r in count_parts(s, m, self.cues) if m.label == "N" else []:
                self._add(study, self._outcome(r, s, a, how))
        clauses = clause_scopes(s, self.cues)  # "…; for patients treated at X, the ORR was …"
        for m in ms:  # "In an analysis of X tumours (n = 151), …": the count of a clause's subgroup
            label = scope_at(clauses, m.start, opened=False) if m.label == "N" and _count(m) else None
            if (
                label
                and not _ALLOCATED.match(s, m.end)
                and _count(m) != study.n
                and m.start not in taken
                and all(m is not p[1] for p in parts)
            ):
                r = _n_reading(m)
                r.subgroup = label
                self._add(study, self._outcome(r, s, a, how))
        if how == "named" and not study.product:
            study.product = product or ctx.heading_product
        if how in ("named", "intro") and not study.target:
            pm = next((m for m in ms if m.label == "PRODUCT" and m.canonical == study.product), None)
            study.target = str(pm.attrs.get("target") or "") if pm else ""
        trial = study.trial or ctx.trial
        scope, at = scoped_subgroup(s, self.cues, ctx.subgroup)  # "Among patients with X, …"
        contrast(s, readings, self.cues)  # "patients with X had … than those without X (a vs b)"
        ctx.subgroup = subset or (parts[-1][0] if parts else scope)
        trials = [m for m in ms if m.label == "TRIAL"] if how == "named" else []
        for r in readings:
            clause = scope_at(clauses, r.start) if r.metric != "DOSE" else None  # doses are the design's
            if clause is not None:
                r.subgroup = r.subgroup or clause
            elif scope and r.start >= at and not r.subgroup:
                r.subgroup = scope
            # the subgroup of a count phrase holds for the values after its count, and for a value
            # right before it ("67% of the 48 patients evaluable for MRD")
            r.subgroup = next(
                (
                    p[0]
                    for p in reversed(parts)
                    if p[1].start <= r.start or _OF_THE.fullmatch(s[r.end : p[1].start])
                ),
                r.subgroup,
            )
            # a value of one of several cohorts the sentence lists goes to that cohort of the trial
            target = self._draft(trial=trial, cohort=r.cohort) if r.cohort and trial else study
            # "In ALPHA-1 the ORR was 60%, whereas in BETA-2 it was 45%": the trial of the value's clause
            own = clause_trial(s, trials, r.start)
            how_r = how
            if own and not r.cohort and norm_key(own) != norm_key(study.trial):
                target, how_r = self._draft(trial=own), "clause"
            if target is not study:
                target.pages.add(self.doc.page_of(a))
            r.subgroup = r.subgroup or subset
            r.arm = "" if how == "pooled" else r.arm  # a pooled estimate has no arms
            self._add(target, self._outcome(r, s, a, how_r))

    def _add(self, study: StudyDraft, o: Outcome) -> None:
        # a value read twice from one sentence is one record; restated in another passage (abstract,
        # results, a flow diagram) it is another printed value, kept with its own snippet and box.
        # The keys of a study's outcomes are kept as they are appended (while reading, outcomes are
        # only appended): building them anew for every value costs values x outcomes.
        _, seen, keys = self.outcome_keys.get(id(study), (study, 0, set()))
        if seen > len(study.outcomes):
            seen, keys = 0, set()
        keys.update((_same(x), x.snippet) for x in study.outcomes[seen:])
        if (_same(o), o.snippet) not in keys:
            study.outcomes.append(o)
            keys.add((_same(o), o.snippet))
        self.outcome_keys[id(study)] = (study, len(study.outcomes), keys)

    def _counted(self, s: str, ms: list[Mention]) -> bool:
        """The sentence gives its study's own count of patients (not a subset's, not a screening)."""
        n = next((m for m in ms if m.label == "N" and (_count(m) or 0) >= 2), None)
        return n is not None and self._enrolled(s, n) and not self._subset(s, ms)

    def _enrolled(self, s: str, n: Mention) -> bool:
        """A count of the study's patients, not a plan or a screening ("600 patients would provide …",
        "874 patients were screened")."""
        return not self.cues.not_study_count_re.match(s[n.end :])

    def _refs(self, a: int, b: int) -> list[str]:
        """Citation numbers ingest split off the words of text[a:b] (Word.refs), in order."""
        boxes = self.doc.locate(a, b)
        pages = {bx.page: bx for bx in boxes}
        out: list[str] = []
        for i in sorted(i for n in pages for i in self.page_index.get(n, ())):  # the boxes' pages only
            page = self.doc.pages[i]
            for w in self.ref_words[i]:
                if any(bx.contains(w.box, margin=1.0) for bx in boxes if bx.page == page.number):
                    out += [r for r in expand_refs(w.refs) if r not in out]
        return out

    def _resolve(self, s: str, ms: list[Mention], ctx: Context, first: bool) -> tuple[StudyDraft | None, str]:
        trial_m = next((m for m in ms if m.label == "TRIAL"), None)
        n_m = next((m for m in ms if m.label == "N"), None)
        # "120 patients were evaluated, 70% of whom were ineligible for the X trial": a trial named after
        # the count of a sentence that opens a paragraph or a study of its own design ("A retrospective
        # cohort included 96 patients …, many of whom would not have met the criteria of X") is not
        # its study, unless the count is of the trial's own patients ("7 patients enrolled in the X study")
        opens = first or bool(self.cues.design_word(s))
        enrolled = trial_m is not None and n_m is not None and _ENROLLED_IN.search(s[n_m.end : trial_m.start])
        if opens and trial_m is not None and n_m is not None and n_m.start < trial_m.start and not enrolled:
            trial_m = None
        named, span = self._table_trial(s, ms, opens)
        trial = named
        # NER's trial wins unless a table's longer name holds it ("ALPHA NHL-1" around "NHL-1")
        if trial_m is not None and not (named and span[0] <= trial_m.start < trial_m.end <= span[1]):
            trial = trial_m.canonical
        cohorts = {m.canonical for m in ms if m.label == "COHORT"}
        overview = re.search(r"\bcohorts\b", s, re.IGNORECASE)  # "cohorts 2a and 2b …, while cohort 2c …"
        cohort = cohorts.pop() if len(cohorts) == 1 and not overview else ""
        if trial:
            ctx.trial = trial
            return self._draft(trial=trial, cohort=cohort), "named"
        # "The pooled CR rate was 79% (95% CI 72–85) across 12 studies"; in a paper pooling studies,
        # "Five studies with 365 children were included" (the population of its pooled estimates)
        if self.cues.pooled_re.search(s) or (self.pools and self.cues.pooled_count_re.search(s)):
            d = self._draft(n=None)
            d.design = d.design_word = "pooled"
            return d, "pooled"
        if cohort and (ctx.trial or (ctx.study and ctx.study.trial)):
            return self._draft(trial=ctx.trial or ctx.study.trial, cohort=cohort), "cohort"
        author = self.cues.author_re.match(s.strip())
        n = next((m for m in ms if m.label == "N" and _count(m) is not None), None)
        # in a report of the trial its title names, an unnamed count is that trial's unless an author
        # or design cue introduces another study
        own = bool(ctx.doc_trial) and not author and not self.cues.design_word(s)
        if n is not None and not own and not first and self._introduces(s, ms, ctx, n):
            intro = self._intro(s, ms, ctx, n, author)
            if intro is not None:
                return intro, "intro"
        if first and n is not None and self._continues(s, ms, n, author):
            return self.para.before, "carried"
        current = ctx.study if ctx.study is not None and ctx.study.trial else None
        # a paragraph opening on a subset ("Among the 12 patients with EMD, …") right after a trial's
        # paragraph is about that trial's patients when there are fewer of them than the trial enrolled
        after = ctx.previous if first and current is None and ctx.previous and ctx.previous.n else None
        if (current or after) is not None and self._subset(s, ms) and not first_canonical(ms, "PRODUCT"):
            # "Seven patients with prior allo-HSCT had an ORR of 71%" in a trial's paragraph: its subgroup
            study = current or after
            count = _count(next(m for m in ms if m.label == "N"))
            if study.n is None or (count or 0) < study.n:
                return study, "subset"
        # "in the 61 patients who had received X, …" right after a study's sentences: its subgroup
        base = ctx.study or ctx.previous or ctx.topic
        parts = count_scope(s, ms, self.cues) if base is not None and not author else []
        # fewer patients than the study enrolled (a larger count is another population, not its part)
        fewer = parts and all(base.n is None or (_count(p[1]) or 0) < base.n for p in parts)
        # "… of 52 patients who had received X before Y": the study's own product is no new study
        product = first_canonical(ms, "PRODUCT")
        if base is not None and fewer and (not product or norm_key(product) == norm_key(base.product)):
            return base, "subset"
        if n is not None and (first or author) and not own:
            intro = self._intro(s, ms, ctx, n, author)
            if intro is not None:
                return intro, "intro"
        # a paragraph that introduced a study of its own (not the heading's trial) goes on about it
        own_topic = ctx.topic is not None and norm_key(ctx.topic.trial) != norm_key(ctx.heading_trial)
        if ctx.heading_trial and not own_topic:
            # the previous sentence's cohort of the heading's trial is more precise than the heading
            same = ctx.study is not None and norm_key(ctx.study.trial) == norm_key(ctx.heading_trial)
            return (ctx.study, "carried") if same else (self._draft(trial=ctx.heading_trial), "heading")
        if ctx.topic is not None and ctx.topic is not ctx.study:
            # the previous sentence's cohort of the topic's trial is more precise than the topic
            same = ctx.study is not None and norm_key(ctx.study.trial) == norm_key(ctx.topic.trial)
            return (ctx.study, "carried") if same else (ctx.topic, "topic")
        if ctx.study is not None:
            return ctx.study, "carried"
        if ctx.doc_trial:
            return self._draft(trial=ctx.doc_trial), "document"
        return None, ""

    def _introduces(self, s: str, ms: list[Mention], ctx: Context, n: Mention) -> bool:
        """A sentence past a paragraph's first that opens a study of its own: an introducing phrase ("A
        recent study analysed 79 patients"), the first count after an author or study was introduced
        without one ("Okafor et al. reported …. 9 patients were treated …"), or a product other than
        the current study's ("55 patients have been treated with AB-123")."""
        u = self.cues.unnamed
        if (_count(n) or 0) < 2 or not self._enrolled(s, n):
            return False  # "one patient relapsed", "874 were screened": not a study's patients
        named = ctx.heading_trial or any(
            x is not None and x.trial for x in (ctx.study, ctx.topic, ctx.previous)
        )
        if named and u.anaphora.search(s):
            return False  # "A first report on these studies evaluated 97 patients": the named trial's
        if self.para.pending or u.new_study.search(s) or self.cues.design_word(s):
            return True
        product = first_canonical(ms, "PRODUCT")
        return (
            bool(product) and ctx.study is not None and not ctx.study.trial and ctx.study.product != product
        )

    def _continues(self, s: str, ms: list[Mention], n: Mention, author) -> bool:
        """A paragraph that opens on a count without saying what study it is of (no product but the
        previous study's, no trial, author, design, antigen label or introducing phrase: "Among
        patients with X, 43 were assigned to A and 39 to B", "Across all 557 patients, …") goes on
        with the study the previous paragraph ended on, when that study had at least as many patients
        or the sentence refers back to it ("in this study")."""
        prev = self.para.before
        back = self.cues.unnamed.anaphora.search(s)  # "Importantly, in this study, …" refers back
        if prev is not None and prev.n is not None and (_count(n) or 0) > prev.n and not back:
            return False  # more patients than that study had: another population
        if prev is None or author or self.cues.design_word(s) or self.cues.unnamed.new_study.search(s):
            return False
        product = first_canonical(ms, "PRODUCT")
        if product and norm_key(product) != norm_key(prev.product):
            return False
        return not self.cues.unnamed.label(s, ms)[0] and not any(m.label == "PHASE" for m in ms)

    def _intro(self, s: str, ms: list[Mention], ctx: Context, n: Mention, author) -> StudyDraft | None:
        """The new study a sentence introduces with its patient count, when it names what the study is
        of: a product (the sentence's, an unnamed one by antigens and modality, the paragraph's, the
        section's), a design or author cue, an antigen or a phase."""
        # a product carried from an earlier paragraph counts only when the vocabulary knows it: a
        # code-shaped word (a device model) must not turn every flow-chart box into a study
        carried = ctx.product if not ctx.product_generic else ""
        label, target = self.cues.unnamed.label(s, ms)
        product = first_canonical(ms, "PRODUCT") or label or self.para.product or self.para.label[0]
        product = product or ctx.heading_product or carried
        if product == self.para.label[0] and not label:
            target = self.para.label[1]
        treated = self.cues.treated_of_enrolled_re.search(s)  # "Of 410 registered, 255 received X"
        value = _count(n) if treated is None else int(_count_reading(treated, "b").value)
        if not product:  # a table row with the same patient count names the product
            same = [d for d in self.tables if not d.trial and d.n == value and d.product]
            product = same[0].product if len(same) == 1 else ""
        word = self.cues.design_word(s) or (author.group("author").lower() if author else "")
        # a patient count alone ("Declined to participate (n=2324)") is no study: it needs a
        # product, a design or author cue, an antigen or a phase
        if not (product or word or any(m.label in ("TARGET", "PHASE") for m in ms)):
            return None
        d = self._draft(product=product, n=value)
        d.design_word = d.design_word or word
        d.target = d.target or target
        return d

    def _document(self) -> StudyDraft:
        """The paper itself: the study of numbers no named study claims (see records/studies.py)."""
        d = StudyDraft("text", design_word="document")
        return self.drafts.setdefault(d.key(), d)

    def _subset(self, s: str, ms: list[Mention]) -> str:
        """The subgroup label when the sentence opens with a count of patients with a trait."""
        n = next((m for m in ms if m.label == "N" and _count(m) is not None), None)
        if n is None or not _COUNT_OPENS.match(s[: n.start]):
            return ""
        m = self.cues.subset_re.match(s[n.end :])
        if not m:
            return ""
        label = " ".join(m.group("g").split())
        return self.cues.subgroups.get(label.lower(), label)

    def _of_enrolled(self, s: str, ms: list[Mention]) -> str:
        """The subgroup label when a count of a named study's patients has a trait ("Six patients
        enrolled in the X study received prior transplant")."""
        n = next((m for m in ms if m.label == "N" and _count(m) is not None), None)
        m = self.cues.subset_enrolled_re.match(s[n.end :]) if n is not None else None
        trials = [(t.start - n.end, t.end - n.end) for t in ms if t.label == "TRIAL"] if n is not None else []
        if m is None or not any(a < m.end("t") and m.start("t") < b for a, b in trials):
            return ""
        label = " ".join(m.group("g").split())
        return self.cues.subgroups.get(label.lower(), label)

    def _table_trial(self, s: str, ms: list[Mention], first: bool) -> tuple[str, tuple[int, int]]:
        n_m = next((m for m in ms if m.label == "N"), None)
        for name in self.trial_index.candidates(s) if self.table_trials else ():
            rx = self.table_trials[name]
            m = next((m for m in rx.finditer(s) if _same_name(m.group(), name)), None)
            if m and not (first and n_m is not None and n_m.start < m.start()):
                return name, m.span()
        return "", (0, 0)

    def _draft(
        self, trial: str = "", cohort: str = "", product: str = "", n: int | None = None
    ) -> StudyDraft:
        d = StudyDraft("text", trial=trial, cohort=cohort, product=product, n=n)
        key = d.key()
        if key not in self.drafts:
            self.drafts[key] = d
        return self.drafts[key]

    def _outcome(self, r, s: str, a: int, how: str) -> Outcome:
        lo, hi = a + min(r.start, r.metric_start), a + max(r.end, r.metric_end)
        box = enclosing(self.doc.locate(lo, hi))
        return Outcome(
            doc_id="", study_id="", metric=r.metric, value=r.value, unit=r.unit, source="text",
            arm=r.arm, subgroup=r.subgroup, timepoint_months=r.timepoint, qualifier=r.qualifier,
            page=box.page if box else self.doc.page_of(a), bbox=str(box) if box else "",
            snippet=" ".join(s.split()), confidence=CONFIDENCE.get(how, 0.5), analysis=self.analysis,
        )  # fmt: skip


class _Paragraph:
    """What a paragraph's sentences so far said about a study they have not given a count for yet."""

    def __init__(self, before: StudyDraft | None = None) -> None:
        self.before = before  # the study the previous paragraph ended on, named or not
        self.pending = False  # an author or an introducing phrase, no study opened since
        self.product = ""  # the last product the paragraph named
        self.label: tuple[str, str] = ("", "")  # the last unnamed product (antigens + modality)

    def update(self, cues: Cues, s: str, ms: list[Mention], product: str, label, how: str) -> None:
        self.product = product or self.product
        self.label = label if label[0] else self.label
        if how in ("named", "intro", "pooled", "cohort"):
            self.pending = False
        elif cues.author_re.match(s.strip()) or cues.unnamed.new_study.search(s):
            self.pending = True


def _name_re(name: str) -> re.Pattern[str]:
    """A printed name with its spaces and hyphens optional or swapped ("NHL-1" / "NHL 1")."""
    pieces = re.findall(r"[A-Za-z0-9]+", name)
    body = r"[\s\-–]?".join(map(re.escape, pieces))
    return re.compile(r"(?<![A-Za-z0-9])" + body + r"(?![A-Za-z0-9])", re.IGNORECASE)


def _same_name(printed: str, name: str) -> bool:
    """A case-insensitive match of a table's trial name ("AlphaMM-3" for "ALPHAMM-3") counts when it
    still looks like a name: printed exactly, or with a digit or two capitals (not a plain word)."""
    if printed == name:
        return True
    return any(c.isdigit() for c in printed) or sum(c.isupper() for c in printed) >= 2


def _n_reading(n: Mention):
    from pipeline.records.relations import TextReading

    v = float(_count(n) or 0)
    return TextReading("N", v, "patients", start=n.start, end=n.end, metric_start=n.start, metric_end=n.end)


def _count_reading(m: re.Match[str], group: str):
    """An N reading of a count a cue regex found (group `group`, printed "1,277" or "255")."""
    from pipeline.records.relations import TextReading

    v = float(m.group(group).replace(",", ""))
    a, b = m.span(group)
    return TextReading("N", v, "patients", start=a, end=b, metric_start=a, metric_end=b)


def _count(m: Mention) -> int | None:
    """The patient count of an N mention; None when NER left it out or it is not a whole number."""
    v = m.attrs.get("value")
    try:
        return int(v) if v is not None and float(v) == int(float(v)) else None
    except (TypeError, ValueError):
        return None


def _same(o: Outcome) -> tuple:
    return (o.metric, o.arm, o.subgroup, o.timepoint_months, o.value, o.qualifier)


def read_text(doc: Document, cues: Cues, table_drafts: list[StudyDraft]) -> list[StudyDraft]:
    return TextReader(doc, cues, table_drafts).read()

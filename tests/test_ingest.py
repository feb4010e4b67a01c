"""Parsing reports into initiatives, on the real corpus and on a made-up sixth report."""

from collections import Counter

import pytest

from councilqa.corpus import load_reports
from councilqa.ingest import PARSER_VERSION, parse_report
from councilqa.layout import split_blocks
from councilqa.resolve import parse_corpus

from .conftest import CORPUS, source_text

SIXTH = """Annual Review

Contents

Greener places\t2
Fairer work\t5

Foreword

This review shows what our member councils have done this year, and we thank everyone who contributed to it in so many ways.

Greener places

01

Cutting carbon in schools

Exampleton City Council fitted solar panels to 40 schools, cutting their energy bills by a third and teaching pupils about climate change through the project.

Othertown Borough Council planted 10,000 trees along its main roads, working with volunteers from every ward to choose and care for the sites over three years.

02 Cleaner rivers

Exampleton City Council worked with the water company to stop sewage overflows into the river, and reported results every month to residents and the press, which

Fairer work

meant the public could follow every step of the clean-up as it happened across the long summer.

For further information contact:

Jo Bloggs

jo.bloggs@exampleton.gov.uk
"""


@pytest.fixture(scope="module")
def initiatives():
    return parse_corpus(
        {r.source: (CORPUS / r.source).read_text(encoding="utf-8") for r in load_reports(CORPUS)}
    )


def by_source(initiatives, prefix):
    return [i for i in initiatives if i.source.startswith(prefix)]


def test_counts_per_report(initiatives):
    counts = Counter(i.source[:3] for i in initiatives)
    # 000 has 100 numbered items; about a third give several councils' examples, each
    # its own initiative, so there are more initiatives than items but not twice as many.
    assert 110 <= counts["000"] <= 170
    # 001 has 101 titled achievements plus "Labour difference" boxes and mission intros.
    assert 100 <= counts["001"] <= 140
    # 002 is a review: news items, four articles and ten board reports; the messages,
    # member lists and contacts are not initiatives.
    assert 18 <= counts["002"] <= 35
    # 003 has about 50 case studies under ### headings (two per member council, partners').
    assert 45 <= counts["003"] <= 75
    # 004 is counted by hand in test_lgc_entries_without_headings_are_split.


def test_spans_round_trip(initiatives):
    for item in initiatives:
        text = source_text(item.source)
        for span in item.spans:
            piece = text[span.start : span.end]
            assert piece and piece == piece.strip(), item.title
        assert item.start < item.end


def test_ids_are_stable_and_unique(initiatives):
    again = parse_corpus(
        {r.source: (CORPUS / r.source).read_text(encoding="utf-8") for r in load_reports(CORPUS)}
    )
    assert [i.id for i in initiatives] == [i.id for i in again]
    assert len({i.id for i in initiatives}) == len(initiatives)


def test_liverpool_energy_company(initiatives):
    energy = [i for i in by_source(initiatives, "000") if "energy compan" in i.title.lower()]
    assert len(energy) == 1
    assert energy[0].councils == ("Liverpool City Council",)
    assert energy[0].section == "Tackling inequality and the cost of living crisis"


def test_item_with_three_councils_is_three_initiatives(initiatives):
    first = [
        i
        for i in by_source(initiatives, "000")
        if i.section == "Tackling inequality and the cost of living crisis"
    ][:3]
    assert [i.councils for i in first] == [
        ("Cheshire West and Chester Council",),
        ("Swansea City Council",),
        ("Barnsley Metropolitan Borough Council",),
    ]
    landlords = [
        i.councils
        for i in by_source(initiatives, "000")
        if i.title == "Tackling rogue landlords and HMOs"
    ]
    assert landlords == [
        ("Southampton City Council",),
        ("Wolverhampton City Council",),
        ("Manchester City Council",),
    ]


def test_no_initiative_mixes_councils_of_separate_items(initiatives):
    # In the numbered report each paragraph that opens with a council is its own example.
    for item in by_source(initiatives, "000"):
        assert len(item.councils) <= 3, item.title


def test_front_matter_is_not_an_initiative(initiatives):
    titles = {i.title.lower() for i in initiatives}
    for furniture in ("contents", "foreword", "members", "join us"):
        assert furniture not in titles
    assert not any(
        "peter.robbins@local.gov.uk" in source_text(i.source)[i.start : i.end] for i in initiatives
    )


def test_case_study_heading_council_and_title(initiatives):
    bristol = [i for i in by_source(initiatives, "003") if i.title == "One City Plan"]
    assert len(bristol) == 1 and bristol[0].councils == ("Bristol City Council",)


def test_award_entry_without_council_name_gets_it_from_its_place(initiatives):
    lewisham = [i for i in by_source(initiatives, "004") if "Lewisham Net Zero" in i.title]
    assert lewisham and lewisham[0].councils == ("London Borough of Lewisham",)
    assert lewisham[0].section == "Climate Response"


def test_lgc_entries_without_headings_are_split(initiatives):
    # Hand count of the LGC shortlist (004): 184 entry summaries, read one by one from the
    # file (a summary is a heading line, if any, and the paragraphs on one entrant; a new
    # entrant or a new project with no heading line starts a new one), less 3 printed twice
    # (Haringey's Beam, West Berkshire's bond, South Gloucestershire's UMBRELLA) = 181.
    # The parser finds 165: about 16 entries name no council or place it knows (people
    # nominated by first name, "Six years ago the council was adrift", "At Redbridge we")
    # and stay in the entry before them, so the lower bound is 90% of the hand count.
    count = len(by_source(initiatives, "004"))
    assert 163 <= count <= 185


def test_repeated_entry_is_one_initiative_with_both_places(initiatives):
    quote = "world's first crowdfunding platform for homeless"
    beam = [
        i
        for i in by_source(initiatives, "004")
        if any(quote in source_text(i.source)[s.start : s.end] for s in i.spans)
    ]
    assert len(beam) == 1 and len(beam[0].spans) == 2
    text = source_text(beam[0].source)
    second = text[beam[0].spans[1].start : beam[0].spans[1].end]
    assert "How Haringey’s partnership with innovative crowdfunding platform Beam" in second


def test_second_example_named_late_in_its_paragraph_is_its_own_initiative(initiatives):
    in_001 = by_source(initiatives, "001")
    text = source_text(in_001[0].source)
    camden = [i for i in in_001 if "Somers Town" in text[i.start : i.end]]
    assert len(camden) == 1 and camden[0].councils == ("London Borough of Camden",)
    blackpool = [i for i in in_001 if "Cosy Homes in Lancashire" in text[i.start : i.end]]
    assert blackpool[0].councils[0] == "Blackpool Council"
    assert "Somers Town" not in text[blackpool[0].start : blackpool[0].end]


def test_contact_blocks_stay_in_spans(initiatives):
    quote = "chris.dabbs@unlimitedpotential.org.uk"
    holding = [
        i for i in initiatives for s in i.spans if quote in source_text(i.source)[s.start : s.end]
    ]
    assert len(holding) == 1 and quote in holding[0].contact


def test_back_matter_is_not_appended(initiatives):
    for phrase in ("Sign in or Register", "Thank you to all the members", "Compiled and edited"):
        for item in initiatives:
            text = source_text(item.source)
            assert not any(phrase in text[s.start : s.end] for s in item.spans), item.title


def test_sections_come_from_real_headings(initiatives):
    lgc = Counter(i.section for i in by_source(initiatives, "004") if i.section)
    # A shortlist has 5 to 10 entries; unheaded categories are left without a section.
    assert max(lgc.values()) <= 10 and lgc["Most Improved Council"] <= 6
    boxes = Counter(i.section for i in by_source(initiatives, "001"))
    assert boxes["The Labour Difference on Council Tax"] == 1  # a boxed panel, not a section


def test_parser_version_is_declared():
    assert PARSER_VERSION and PARSER_VERSION.isdigit()


def test_a_sixth_report_parses_by_general_rules():
    items = parse_report("sixth.txt", SIXTH, {})
    assert [(i.title, i.councils, i.section) for i in items] == [
        ("Cutting carbon in schools", ("Exampleton City Council",), "Greener places"),
        ("Cutting carbon in schools", ("Othertown Borough Council",), "Greener places"),
        ("Cleaner rivers", ("Exampleton City Council",), "Greener places"),
    ]
    rivers = items[2]
    # The page-break continuation past the stray heading, with its contact block.
    assert len(rivers.spans) == 2
    assert SIXTH[rivers.spans[1].start :].startswith("meant the public")
    assert SIXTH[: rivers.end].endswith("jo.bloggs@exampleton.gov.uk")
    assert rivers.contact.startswith("For further information")


@pytest.mark.parametrize("text", ["", "   \n\n ", "x", "é\n\nü", "Heading only"])
def test_edge_inputs_give_no_initiatives(text):
    assert parse_report("edge.txt", text, {}) == []


def test_blocks_keep_exact_offsets():
    text = "  A heading\n\nBody line one\nline two  \n\n\u00a0\n"
    blocks = split_blocks(text)
    assert [text[b.start : b.end] for b in blocks] == ["A heading", "Body line one\nline two"]


def test_a_bracketed_affiliation_labels_nothing():
    """ "Cllr Peter Box (Wakefield)" says where a person sits, not who did the thing."""
    text = (
        "## Cllr Peter Box (Wakefield) Economy & Transport\n\n"
        + "The board pressed ministers on rail franchising and bus regulation for the regions. " * 4
    )
    items = parse_report("r.md", text, {"wakefield": "Wakefield Council"})
    assert items and all("Wakefield Council" not in i.councils for i in items)

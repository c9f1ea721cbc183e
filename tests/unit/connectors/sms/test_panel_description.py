"""The panel-description check run when a provider row is saved: errors name the field, hostile input is refused."""

from __future__ import annotations

import copy
import json

import pytest

from connectors.sms.panel_validation import DescriptionError, validate_description

from .sms_helpers import panel

SOAP_SEND = {
    "name": "SOAP panel",
    "send": {
        "url": "https://panel.test/send.asmx",
        "body": "soap",
        "soap_action": "http://tempuri.org/Send",
        "template": "<Envelope><Body><Send><to>{to}</to><text>{text}</text></Send></Body></Envelope>",
        "reply": {"format": "xml", "message_id": "//*[local-name()='SendResult']"},
    },
}


def errors_of(document) -> list[str]:
    with pytest.raises(DescriptionError) as caught:
        validate_description(document if isinstance(document, str) else json.dumps(document))
    return caught.value.errors


def with_send(**changes) -> dict:
    document = copy.deepcopy(SOAP_SEND)
    document["send"].update(changes)
    return document


@pytest.mark.parametrize("name", ["ippanel_edge", "adp"])
def test_shipped_panels_are_valid(name):
    assert validate_description(json.dumps(panel(name))).send is not None


def test_a_soap_description_is_valid():
    assert validate_description(SOAP_SEND).status is None  # not offered


@pytest.mark.parametrize("placeholder", ["{to.__class__}", "{0}", "{text!r}", "{password:>99}", "{secret}"])
def test_anything_but_a_known_placeholder_is_refused_with_its_field(placeholder):
    document = panel("ippanel_edge")
    document["send"]["template"]["message"] = f"hello {placeholder}"
    (error,) = errors_of(document)
    assert error.startswith("send.template.message:")


def test_a_placeholder_of_another_operation_is_refused():
    document = panel("ippanel_edge")
    document["credit"]["headers"]["Authorization"] = "{text}"
    assert errors_of(document) == [errors_of(document)[0]]
    assert errors_of(document)[0].startswith("credit.headers.Authorization: unknown placeholder {text}")


def test_a_stray_brace_is_refused_and_doubled_braces_are_literal():
    document = with_send(template="<Envelope><a>{{literal}}</a><b>{to}</b></Envelope>")
    assert validate_description(document)
    assert errors_of(with_send(template="<Envelope>{</Envelope>"))[0].startswith("send.template:")


@pytest.mark.parametrize(
    "url",
    [
        "https://{username}.evil.test/send",
        "{password}",
        "ftp://panel.test/x",
        "https://user:pw@panel.test/x",
        "https://panel.test{text}",
    ],
)
def test_placeholders_cannot_choose_the_host(url):
    assert any(e.startswith("send.url:") for e in errors_of(with_send(url=url)))


@pytest.mark.parametrize(
    "template",
    [
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Envelope>&e;{to}</Envelope>',
        '<!ENTITY e "x"><Envelope/>',
        "<Envelope><open>{text}</Envelope>",
    ],
)
def test_soap_templates_with_a_dtd_or_broken_xml_are_refused(template):
    (error,) = errors_of(with_send(template=template))
    assert error.startswith("send.template:")


def test_huge_and_deeply_nested_documents_are_refused():
    huge = with_send(template="<Envelope>" + "x" * 70_000 + "</Envelope>")
    assert "longer than" in errors_of(huge)[0]
    deep = panel("ippanel_edge")
    node = deep["send"]["template"]
    for _ in range(20):
        node["n"] = {}
        node = node["n"]
    assert "nested deeper" in errors_of(deep)[0]
    assert errors_of("[" * 5000)[0].startswith("(document):")


@pytest.mark.parametrize(
    "path, where",
    [
        ("//x[$v]", "send.reply"),
        ("//x[", "send.reply"),
        ("count(", "send.reply"),
    ],
)
def test_xpaths_are_checked(path, where):
    document = with_send(reply={"format": "xml", "message_id": path})
    assert errors_of(document)[0].startswith(where) and "message_id" in errors_of(document)[0]


@pytest.mark.parametrize("path", ["data..ids", "__import__('os')", "data.ids[-1]", "a b"])
def test_json_paths_are_plain_paths(path):
    document = panel("ippanel_edge")
    document["send"]["reply"]["message_id"] = path
    assert "message_id" in errors_of(document)[0]


def test_send_must_say_where_the_message_id_is():
    document = panel("ippanel_edge")
    del document["send"]["reply"]["message_id"]
    assert errors_of(document) == ["send.reply.message_id: send needs to know where the reply keeps it"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"method": "DELETE"}, "send.method"),
        ({"method": "GET"}, "send"),
        ({"headers": {"Bad Header": "x"}}, "send"),
        (
            {"reply": {"format": "xml", "message_id": "//id", "codes": {"1": {"outcome": "maybe"}}}},
            "send.reply.codes.1.outcome",
        ),
        ({"surprise": 1}, "send.surprise"),
    ],
)
def test_errors_name_the_field_path(change, field):
    assert errors_of(with_send(**change))[0].startswith(field + ":")


def test_inbound_needs_items_sender_and_text():
    document = copy.deepcopy(SOAP_SEND)
    document["inbound"] = {
        "url": "https://panel.test/in",
        "method": "GET",
        "reply": {"format": "json", "items": "data", "item": {"text": "body"}},
    }
    assert errors_of(document) == ["inbound.reply.item: inbound needs at least sender and text"]


def test_report_id_and_delivery_absent_belong_to_the_status_reply():
    document = with_send(reply={"format": "xml", "message_id": "//id", "report_id": "//id"})
    assert errors_of(document) == ["send.reply.report_id / delivery_absent: only a status reply reads them"]


def test_a_state_left_out_needs_an_accepted_code_to_tell_it_from_an_error():
    document = copy.deepcopy(SOAP_SEND)
    document["status"] = {
        "url": "https://panel.test/status",
        "method": "GET",
        "reply": {"format": "json", "delivery": "state", "delivery_absent": "not_yet"},
    }
    assert errors_of(document) == [
        "status.reply.delivery_absent: not_yet needs a status path and a code the table calls accepted"
    ]

"""``GET /api/v1/touchpoints/{id}/themes``: what customers talk about there, largest first."""

from __future__ import annotations

from marshmallow import fields

from ..themes.clustering import KINDS
from .common import Schema, period_field


class ThemesArgs(Schema):
    since = period_field(data_key="from", load_default=None, metadata={
        "description": "ISO 8601 with offset; default THEMES_WINDOW_DAYS (90) days before `to`."})
    until = period_field(data_key="to", load_default=None, metadata={
        "description": "ISO 8601 with offset; default now."})


class ThemeSentimentSchema(Schema):
    positive = fields.Integer()
    neutral = fields.Integer()
    negative = fields.Integer()


class ThemeExampleSchema(Schema):
    response_id = fields.Integer()
    comment = fields.String()


class ThemeSchema(Schema):
    id = fields.Integer()
    label = fields.String(metadata={
        "description": "The phrase most of its comments share and others do not, as customers wrote it "
                       "(\"free shipping\", \"wrong size\"); for a language group, \"Comments in German\"."})
    kind = fields.String(metadata={
        "description": f"One of {', '.join(KINDS)}: a topic of the English comments, or the comments in one "
                       "other language (their words are not read)."})
    language = fields.String(allow_none=True, metadata={"description": "ISO 639-1, for a language group."})
    terms = fields.List(fields.String(), metadata={"description": "The topic's strongest terms."})
    n = fields.Integer(metadata={"description": "Its comments in the period."})
    share = fields.Float(metadata={
        "description": "n over every comment looked at in the period (`comments`), themed or not: 0 to 1."})
    sentiment = fields.Nested(ThemeSentimentSchema, metadata={
        "description": "Its comments by sentiment label, scored ones only (comments in other languages are not)."})
    examples = fields.List(fields.Nested(ThemeExampleSchema), metadata={
        "description": "Up to three of its comments in the period, the most typical first."})


class ThemesSchema(Schema):
    touchpoint_id = fields.Integer()
    since = fields.DateTime(data_key="from")
    until = fields.DateTime(data_key="to")
    comments = fields.Integer(metadata={
        "description": "Comments looked at in the period: those of the themes' window whose sentiment was "
                       "settled when the themes were found."})
    unthemed = fields.Integer(metadata={"description": "Of those, the ones in no theme."})
    computed_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the worker last found this touchpoint's themes; null: not yet."})
    window_start = fields.DateTime(allow_none=True, metadata={
        "description": "The earliest comment that run looked at could be from: periods before it count nothing."})
    data = fields.List(fields.Nested(ThemeSchema), attribute="themes", metadata={"description": "Largest first."})

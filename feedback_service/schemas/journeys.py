from __future__ import annotations

from marshmallow import fields, validate

from ..journeys import embedding
from ..journeys.surveys import METRICS
from ..journeys.widget_texts import UI_TEXT_KEYS
from ..models import CHANNELS, FOLLOW_UP_POLICIES
from .common import ListArgs, Origin, Schema, id_field, name_field

LANGUAGE = validate.Regexp(r"^[a-z]{2,3}(-[A-Z]{2})?$", error="Use a language code like 'en' or 'pt-BR'.")


def Text(**kwargs) -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(validate=validate.Length(1, 500), **kwargs)


def Labels(**kwargs) -> fields.Dict:  # noqa: N802
    """Scale labels by score, e.g. ``{"1": "Very dissatisfied", "5": "Very satisfied"}``."""
    return fields.Dict(keys=fields.String(validate=validate.Length(1, 3)),
                       values=fields.String(validate=validate.Length(1, 100)),
                       validate=validate.Length(max=11), **kwargs)


class JourneyInSchema(Schema):
    name = name_field(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=2000))


class JourneyPatchSchema(Schema):
    name = name_field()
    description = fields.String(validate=validate.Length(max=2000))


class WidgetWordsSchema(Schema):
    """The widget's own words in one language; any left out are built in (English where the
    language has none)."""

    class Meta(Schema.Meta):
        include = {key: fields.String(validate=validate.Length(1, 200)) for key in UI_TEXT_KEYS}


class SurveyTextsSchema(Schema):
    question = Text()
    comment_prompt = Text()
    low_score_prompt = Text(allow_none=True)
    scale_labels = Labels()
    texts = fields.Nested(WidgetWordsSchema, metadata={
        "description": "The widget's words (send, close, skip, thanks, sent_score, queued_score, "
                       "refused_score, opened) in this translation's language."})


class SurveyInSchema(Schema):
    metric = fields.String(validate=validate.OneOf(tuple(METRICS)))
    question = Text()
    comment_prompt = Text()
    low_score_prompt = Text(allow_none=True, metadata={
        "description": "A different follow-up prompt for low scores; null: use comment_prompt."})
    scale_labels = Labels()
    language = fields.String(validate=LANGUAGE)
    texts = fields.Nested(WidgetWordsSchema, metadata={
        "description": "The widget's words in the survey's language, for a language it does not know "
                       "or words of your own; any left out are built in (English where the language has none)."})
    translations = fields.Dict(keys=fields.String(validate=LANGUAGE), values=fields.Nested(SurveyTextsSchema),
                               validate=validate.Length(max=30))
    fatigue_days = fields.Integer(strict=True, validate=validate.Range(0, 365), metadata={
        "description": "Do not ask the same customer at this touchpoint again within this many days."})


def follow_up_policy_field(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(FOLLOW_UP_POLICIES), metadata={
        "description": "Which answers open a follow-up: `low_scores` (the default): every comment and every "
                       "low score; `comments`: only answers with a comment."}, **kwargs)


class TouchpointListArgs(ListArgs):
    journey_id = id_field()


class TriggerSchema(Schema):
    mode = fields.String(validate=validate.OneOf(("load", "exit_intent", "manual")))
    delay_seconds = fields.Integer(strict=True, validate=validate.Range(0, 3600))


class TouchpointInSchema(Schema):
    journey_id = fields.Integer(strict=True, required=True)
    name = name_field(required=True)
    position = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1),
                              metadata={"description": "1-based place in the journey; default: last."})
    channel = fields.String(load_default="web", validate=validate.OneOf(CHANNELS))
    team_id = fields.Integer(strict=True, allow_none=True, load_default=None)
    allowed_origins = fields.List(Origin(), load_default=list, validate=validate.Length(max=50))
    survey = fields.Nested(SurveyInSchema, load_default=dict)
    trigger = fields.Nested(TriggerSchema, load_default=dict)
    follow_up_policy = follow_up_policy_field(load_default="low_scores")


class TouchpointPatchSchema(Schema):
    journey_id = fields.Integer(strict=True)
    name = name_field()
    position = fields.Integer(strict=True, validate=validate.Range(min=1))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    team_id = fields.Integer(strict=True, allow_none=True)
    allowed_origins = fields.List(Origin(), validate=validate.Length(max=50))
    survey = fields.Nested(SurveyInSchema)
    trigger = fields.Nested(TriggerSchema)
    follow_up_policy = follow_up_policy_field()


class SurveyWordingSchema(Schema):
    """A survey as a customer meets it: the metric, its scale and the words around it."""

    version = fields.Integer()
    metric = fields.String()
    scale = fields.Dict()
    question = fields.String()
    comment_prompt = fields.String()
    low_score_prompt = fields.String(allow_none=True)
    scale_labels = fields.Dict()
    language = fields.String()


class SurveySchema(SurveyWordingSchema):
    scale = fields.Function(lambda version: METRICS[version.metric].scale())
    texts = fields.Dict(attribute="ui_texts")
    translations = fields.Dict()


class TouchpointSchema(Schema):
    id = fields.Integer()
    journey_id = fields.Integer()
    name = fields.String()
    position = fields.Integer()
    channel = fields.String()
    team_id = fields.Integer(allow_none=True)
    allowed_origins = fields.List(fields.String())
    publishable_key = fields.String()
    embed_snippet = fields.Function(embedding.embed_snippet)
    hosted_url = fields.Function(embedding.hosted_url)
    qr_code_svg_url = fields.Function(lambda t: embedding.qr_code_url(t, "svg"))
    qr_code_png_url = fields.Function(lambda t: embedding.qr_code_url(t, "png"))
    trigger = fields.Dict()
    follow_up_policy = fields.String()
    survey = fields.Method("_survey")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _survey(self, touchpoint):
        body = SurveySchema().dump(touchpoint.survey)
        body["fatigue_days"] = touchpoint.fatigue_days
        return body


class JourneySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class JourneyDetailSchema(JourneySchema):
    touchpoints = fields.List(fields.Nested(TouchpointSchema))


class EmailLinksInSchema(Schema):
    customer_id = fields.String(validate=validate.Length(1, 200), load_default=None,
                                metadata={"description": "Your id for the customer the email goes to."})
    customer_email = fields.Email(validate=validate.Length(max=320), load_default=None)


class EmailLinksSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    links = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "One URL per score; a click records that score."})

"""What one customer turn says: sentiment in [-1, 1] (VADER, whose lexicon ships inside its package),
the intent, the objections raised and the interest signals shown (spec 001's vocabulary).

Deterministic and offline: phrase patterns written for how people answer a sales call, read as
speech-to-text gives them (lower case, often without apostrophes or punctuation). A phrase only
counts when no negation ("not", "don't", "never"...) stands just before it in the same clause, so
"I'm not interested" is never interest and "not sure, but tell me more" is.
"""

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from apps.voice.choices import Intent, Objection, Signal

_NEGATORS = frozenset({
    "not", "no", "never", "don't", "dont", "doesn't", "doesnt", "isn't", "isnt", "won't", "wont", "can't", "cant",
    "cannot", "aren't", "arent", "wouldn't", "wouldnt", "didn't", "didnt", "hardly", "nor", "without", "neither",
})  # fmt: skip
_CLAUSE_BREAK = re.compile(r"[,.;:!?]|\bbut\b|\bthough\b|\bhowever\b")
_DAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"


def _p(*alternatives: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


VOICEMAIL = _p(
    r"leave (?:me |us )?(?:a |your )?(?:brief |short |detailed )?message", r"(?:after|at) the (?:tone|beep)",
    r"voice ?mail", r"mailbox", r"(?:not |un)available to take (?:your|the|this) call",
    r"can'?t (?:come to|get to|take) the phone", r"record your message", r"leave your name and (?:number|message)",
)  # fmt: skip
DO_NOT_CALL = _p(
    r"stop calling", r"quit calling", r"no more calls", r"(?:do not|don'?t) call list",
    r"(?:do not|don'?t|dont|never) (?:ever )?call (?:me|us|this number|here)[ ,]+(?:again|anymore|any more|ever)",
    r"(?:do not|don'?t|dont) (?:ever )?call (?:this number|here)",
    r"(?:do not|don'?t|dont) (?:ever )?call (?:me|us)\W*$",
    r"remove (?:me|us|my number|this number|my name|my details)", r"unsubscribe", r"lose (?:my|this) number",
    r"take (?:me|us|my number|this number|my name) off",
)  # fmt: skip
WRONG_PERSON = _p(
    r"wrong (?:number|person)", r"(?:no one|nobody) (?:here )?(?:by|with|named|called) (?:that|this) name",
    r"(?:there'?s|there is) no(?: one| body)? (?:named |called )?[a-z]+ (?:here|at this number)",
    r"(?:doesn'?t|does not|don'?t) live here", r"you(?:'ve| have)? (?:got |dialed |called )?the wrong",
    r"i don'?t know (?:who that is|anyone (?:by|named|called))", r"not who you think",
)  # fmt: skip
HUMAN_REQUEST = _p(
    r"(?:speak|talk) (?:to|with) (?:a |an |some )?(?:real |actual |live )?"
    r"(?:person|human|someone|somebody|agent|representative|rep|manager|salesperson)",
    r"(?:real|live|actual) person", r"transfer me", r"put me through", r"\boperator\b",
)  # fmt: skip
CALLBACK = _p(
    r"call (?:me |us )?back", r"get back to (?:me|us)",
    r"call (?:me |us )?(?:again )?(?:later|tomorrow|another time|next week|some ?other time|"
    r"in the (?:morning|afternoon|evening)|(?:on |next )?" + _DAYS + r"|at \d|this (?:afternoon|evening))",
    r"(?:try|reach|ring|catch) (?:me |us )?(?:again )?(?:later|tomorrow|another time|next week|on " + _DAYS + ")",
    r"another time", r"a better time", r"(?:some ?)?other time",
    r"(?:can|could) (?:we|you) (?:talk|speak|chat|do this) (?:later|tomorrow|another time|next week)",
    r"(?:talk|speak) (?:later|tomorrow|next week)", r"later (?:today|this week|this afternoon|tonight)",
)  # fmt: skip
NOT_INTERESTED = _p(
    r"not (?:really |at all |very )?interested", r"no interest", r"(?:no|nope),? thanks?(?: you)?", r"no thank you",
    r"not for (?:me|us)", r"not looking (?:for|to)", r"(?:don'?t|do not|dont) (?:want|need) (?:it|this|that|any)\b",
    r"(?:don'?t|do not|dont) call (?:me |us )?back", r"(?:i'?ll|i will|we'?ll|we will) pass",
    r"not (?:a )?(?:good )?fit",
    r"(?:i'?m|we'?re|i am|we are) (?:good|fine|all set|ok|okay)[ ,]+(?:thanks|thank you)", r"we'?re all set",
    r"not buying", r"no,? i'?m (?:good|fine|ok|okay)\W*$",
)  # fmt: skip
DEMO = _p(
    r"\bdemo\b", r"demonstration", r"(?:show|walk) (?:me|us) (?:how|around|through)", r"free trial", r"\btrial\b",
    r"(?:book|schedule|set up|arrange|set) (?:a |an |up a |up an )?(?:call|meeting|time|appointment|session|demo|"
    r"walkthrough|walk through)",
    r"see (?:it|the product|how it works) in action", r"sign (?:me |us )?up", r"let'?s do it",
    r"(?:i'?d|i would|we'?d|we would) (?:like|love) to (?:see|try|book|meet|sign)",
)  # fmt: skip
INFORMATION = _p(
    r"send (?:me |us )?(?:an? |some |the |more )?(?:e-?mail|info(?:rmation)?|details|brochure|something|"
    r"pricing|a quote|it over)",
    r"e-?mail (?:me|us)", r"(?:send|email) (?:it|that|them|this) (?:over|to me|to us)", r"in writing",
    r"do you have a website",
)  # fmt: skip
PRICING = _p(
    r"how much", r"\bprice\b", r"\bpricing\b", r"\bprices\b", r"\bcosts?\b",
    r"what (?:do|does|would) (?:it|this|that) run",
    r"\bquote\b", r"\brates?\b", r"\bfees?\b", r"per (?:month|year|user|seat|call|minute)", r"subscription",
    r"how expensive",
)  # fmt: skip
IDENTITY = _p(
    r"who (?:is|'?s) (?:this|calling|that|speaking)", r"who are you", r"what company",
    r"where (?:are you|is this) calling from", r"who do you (?:work for|represent)",
    r"are you (?:a |an )?(?:robot|bot|machine|computer|ai|real|human|recording|person)",
    r"is this (?:a |an )?(?:robot|recording|bot|real person|sales call|ai|machine)",
    r"what(?:'s| is) (?:this|it|the call) (?:about|regarding)", r"why are you calling",
)  # fmt: skip
INTERESTED = _p(
    r"\binterest(?:ed|ing)\b", r"tell me more", r"(?:sounds?|that sounds) (?:really |very |pretty )?"
    r"(?:good|great|interesting|useful|promising|amazing|nice|perfect|like something)",
    r"(?:i'?d|i would|we'?d|we would) (?:like|love) to (?:hear|learn|know|find out) more",
    r"that (?:could|would|might) (?:help|be useful|be great|work|be helpful)",
    r"(?:i'?m|i am|we'?re|we are) (?:actually )?(?:looking|in the market) for (?:something|a solution|this|that|one)",
    r"we (?:really )?need (?:something|this|that|help|a solution|a better)", r"(?:let'?s|lets) (?:hear|talk)",
    r"i like (?:that|it|the sound)", r"makes sense", r"(?:i'?m|i am|we'?re|we are) (?:keen|curious|open to)",
)  # fmt: skip
AFFIRMATIVE = _p(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|alright|all right|absolutely|definitely|of course|certainly|go ahead|"
    r"please do|sounds good|that works|works for me|fine|perfect|great|correct|right|i do|i guess)\b",
    r"\b(?:yes|yeah|yep|sure|okay|absolutely|definitely)\b",
    r"i (?:have|got) (?:a |some |a few )?(?:minute|minutes|time)",
)  # fmt: skip
NEGATIVE = _p(r"^(?:no|nope|nah|not really|no way|i don'?t think so|not at all)\b")
REPEAT = _p(r"^(?:(?:sorry|what|pardon(?: me)?|huh|excuse me|come again|say (?:that|it) again|(?:can you )?repeat that"
            r"|i didn'?t (?:catch|get) that)\W*)+$")  # fmt: skip
QUESTION = _p(r"\?", r"^(?:how|what|when|where|why|who|is|are|do|does|can|could|would|will|should)\b")

OBJECTIONS: dict[str, re.Pattern] = {
    Objection.PRICE: _p(
        r"too (?:expensive|pricey|costly|much)",
        r"(?:is|sounds|seems|it'?s|that'?s|looks) (?:really |very |quite |pretty |"
        r"a bit |a little )?(?:expensive|pricey|costly|steep)",
        r"can'?t afford", r"cannot afford",
        r"(?:no|don'?t have (?:the|a|any)|not in the|out of (?:our|my|the)|over (?:our|my|the)"
        r"|tight|limited|small) budget", r"budget (?:is|'?s) (?:tight|gone|spent|used|limited)", r"\bcheaper\b",
        r"costs? too much", r"too much money", r"not worth the (?:money|price|cost)",
        r"(?:price|cost) is (?:too |a bit )?high",
    ),
    Objection.TIMING: _p(
        r"(?:bad|not a good|not the best|terrible|awkward|not a great) time",
        # "I'm busy (right now)", "I'm driving.": the state of this moment, not "we're busy on jobs"
        r"(?:i'?m|i am|we'?re|we are) (?:really |very |a bit |kind of )?"
        r"(?:busy|driving|in a meeting|at work|with a (?:customer|client|patient)|on the other line)"
        r"(?: right now| at the moment| now| today)?\s*(?:[,.!?;]|$)",
        r"(?:i'?m|i am|we'?re|we are) (?:in the middle of|about to)",
        r"not (?:right )?now", r"now (?:is not|isn'?t) (?:good|great|a good time)", r"maybe later",
        r"not until (?:next|the end of)", r"(?:too|really|very) busy", r"no time", r"don'?t have (?:the )?time",
        r"in a hurry", r"can'?t talk",
    ),
    Objection.NEED: _p(
        r"(?:don'?t|do not|dont) (?:really )?need", r"no need", r"not necessary",
        r"(?:we'?re|we are|i'?m|i am) (?:happy|fine|good|covered|satisfied) (?:with|as)",
        r"(?:doesn'?t|does not|wouldn'?t|would not) (?:apply|help|work for) (?:to )?(?:us|me)", r"not a priority",
        r"(?:we|i) (?:already )?(?:handle|do) (?:it|that|this) (?:ourselves|myself|in[- ]house)",
        r"don'?t see (?:the|a|any) (?:need|point|value)", r"(?:not|isn'?t) (?:a )?problem for us",
        r"works (?:fine|well|great) for us", r"what'?s the point",
    ),
    Objection.AUTHORITY: _p(
        r"not (?:the|my) (?:right )?(?:person|one|decision|call|department|area)", r"not the decision maker",
        r"not (?:in charge|responsible)", r"(?:ask|talk to|speak (?:to|with)|check with|run it by|run this by|"
        r"discuss (?:it |this )?with) (?:my|our|the) (?:boss|manager|partner|wife|husband|team|owner|director|ceo|cfo|"
        r"supervisor|board|it)",
        r"(?:my|our|the) (?:boss|manager|partner|owner|ceo|cfo|director|board) (?:decides|makes|handles|would have to|"
        r"has to|needs to|deals with)",
        r"(?:i|we)(?: would| will|'d|'ll)? (?:have|need) to "
        r"(?:check|ask|discuss|consult|get approval|talk (?:to|with|it over))",
        r"(?:don'?t|do not|doesn'?t|does not) (?:make|decide) (?:the |those |these |that |any )?"
        r"(?:decisions?|purchasing|buying)",
        r"i don'?t decide",
        r"above my pay grade", r"decision maker",
    ),
    Objection.COMPETITOR: _p(
        r"already (?:use|have|using|work with|working with|signed|got|pay for|in a contract|with)",
        r"(?:another|a different|other) (?:provider|vendor|company|supplier|service|solution|tool|system|agency)",
        r"(?:current|existing) (?:provider|vendor|supplier|solution|system|contract|agency)",
        r"(?:under|in|signed) (?:a )?contract", r"competitor",
        r"(?:happy|satisfied) with (?:our|my|the) (?:current|existing)", r"we have someone",
    ),
    Objection.TRUST: _p(
        r"\bscam\b", r"\bspam\b", r"how did you get (?:my|this) (?:number|name|info|details)",
        r"where did you get (?:my|this)", r"never heard of (?:you|your company|it|them)",
        r"is this (?:legit|real|legitimate|a scam)", r"(?:sounds|seems) too good",
        r"(?:don'?t|do not|can'?t|cannot) trust",
        r"robo ?call", r"how do i know (?:you'?re|this is|you are)", r"sounds (?:fishy|suspicious|shady)",
        r"telemarketer",
    ),
}  # fmt: skip
TIMELINE = _p(
    r"this (?:week|month|quarter|year)", r"next (?:week|month)", r"as soon as possible", r"\basap\b", r"right away",
    r"\bimmediately\b", r"how (?:soon|quickly|fast)", r"how long (?:does|would|will) (?:it|this|setup|set up) take",
    r"when (?:can|could|would) (?:we|i|you) (?:start|begin|get started|have it|set it up|go live)", r"timeline",
    r"time ?frame", r"get started", r"roll (?:it |this )?out", r"\bimplement", r"go live",
    r"within (?:a|one|two|three|a few|\d+) (?:days|weeks|months|week|month)",
)  # fmt: skip
# Words whose weight in a sales call VADER's general lexicon does not know.
_LEXICON_EXTRA = {"expensive": -1.2, "pricey": -1.0, "overpriced": -1.8, "spam": -1.5, "scam": -2.2, "busy": -0.4,
                  "interested": 1.7, "demo": 0.6}  # fmt: skip


@dataclass
class TurnAnalysis:
    """Spec 001's analysis of one turn, plus what the engine reads from it."""

    sentiment: float = 0.0
    intent: str = Intent.SILENCE
    objections: list[str] = field(default_factory=list)
    interest_signals: list[str] = field(default_factory=list)
    affirmative: bool = False
    negative: bool = False
    question: bool = False
    repeat: bool = False

    @property
    def silent(self) -> bool:
        return self.intent == Intent.SILENCE

    def as_dict(self) -> dict:
        return asdict(self)

    def public(self) -> dict:
        """The four fields spec 001 documents."""
        return {"sentiment": self.sentiment, "intent": self.intent, "objections": list(self.objections),
                "interest_signals": list(self.interest_signals)}  # fmt: skip


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(_LEXICON_EXTRA)
    return analyzer


def normalize(text: str) -> str:
    text = (text or "").replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


def sentiment(text: str) -> float:
    """VADER's compound score, in [-1, 1]; 0 for nothing said."""
    if not (text or "").strip():
        return 0.0
    return round(float(_vader().polarity_scores(text)["compound"]), 3)


def affirmed(pattern: re.Pattern, text: str) -> bool:
    """Whether `pattern` occurs in `text` without a negation just before it in the same clause."""
    for match in pattern.finditer(text):
        before = _CLAUSE_BREAK.split(text[: match.start()])[-1].split()[-3:]
        if not any(word in _NEGATORS for word in before):
            return True
    return False


def objections_in(text: str) -> list[str]:
    return [kind for kind, pattern in OBJECTIONS.items() if pattern.search(text)]


def _intent(text: str, objections: list[str]) -> str:  # noqa: PLR0911 - one return a rule, in precedence order
    if VOICEMAIL.search(text):
        return Intent.VOICEMAIL
    if DO_NOT_CALL.search(text):
        return Intent.DO_NOT_CALL
    if WRONG_PERSON.search(text):
        return Intent.WRONG_PERSON
    if affirmed(HUMAN_REQUEST, text):
        return Intent.HUMAN_REQUEST
    if affirmed(CALLBACK, text):
        return Intent.CALLBACK_REQUEST
    if NOT_INTERESTED.search(text):
        return Intent.NOT_INTERESTED
    if affirmed(DEMO, text):
        return Intent.DEMO_REQUEST
    if affirmed(INFORMATION, text):
        return Intent.INFORMATION_REQUEST
    if PRICING.search(text) and (QUESTION.search(text) or Objection.PRICE not in objections):
        return Intent.PRICING_QUESTION
    if IDENTITY.search(text):
        return Intent.IDENTITY_QUESTION
    if affirmed(INTERESTED, text) and not objections:
        return Intent.INTERESTED
    return Intent.GENERAL_INQUIRY


def _signals(text: str, intent: str, affirmative: bool) -> list[str]:
    if intent in (Intent.DO_NOT_CALL, Intent.NOT_INTERESTED, Intent.WRONG_PERSON, Intent.VOICEMAIL, Intent.SILENCE):
        return []
    signals = []
    if intent == Intent.INTERESTED or affirmed(INTERESTED, text) or affirmative:
        signals.append(Signal.VERBAL)
    if intent == Intent.DEMO_REQUEST or affirmed(DEMO, text):
        signals.append(Signal.DEMO)
    if intent == Intent.PRICING_QUESTION or (PRICING.search(text) and QUESTION.search(text)):
        signals.append(Signal.PRICING)
    if affirmed(TIMELINE, text):
        signals.append(Signal.TIMELINE)
    return signals


def analyse(text: str) -> TurnAnalysis:
    """The analysis of what the customer said (nothing: a silent turn)."""
    said = normalize(text)
    if not said:
        return TurnAnalysis()
    objections = objections_in(said)
    intent = _intent(said, objections)
    affirmative = affirmed(AFFIRMATIVE, said)
    return TurnAnalysis(
        sentiment=sentiment(text),
        intent=intent,
        objections=objections,
        interest_signals=_signals(said, intent, affirmative),
        affirmative=affirmative,
        negative=bool(NEGATIVE.search(said)),
        question=bool(QUESTION.search(said)),
        repeat=bool(REPEAT.search(said)),
    )

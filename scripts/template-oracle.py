#!/usr/bin/env python3
"""Renders a chat template the way Hugging Face transformers' apply_chat_template does, without transformers.

    python3 -m venv /tmp/tplvenv && /tmp/tplvenv/bin/pip install jinja2
    /tmp/tplvenv/bin/python scripts/template-oracle.py TEMPLATE.jinja VARIABLES.json

VARIABLES.json is one object: messages, add_generation_prompt, bos_token, eos_token, tools, and any other
template keyword (enable_thinking, documents, date_string, ...). Prints the render as a JSON string.

The environment is transformers' `_compile_jinja_template` (src/transformers/utils/chat_template_utils.py, 5.x):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with loopcontrols and the `generation` block,
its `tojson` (json.dumps, ensure_ascii=False), raise_exception, strftime_now, dict and namespace; and, as
`render_jinja_template` does, a message's reasoning is aliased to `reasoning_content` and `thinking`,
and tools/documents default to None.
"""
import json
import sys
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.utils
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(Extension):
    """HF's AssistantTracker without the tracking: `{% generation %}...{% endgeneration %}` renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation"), [], [], body).set_lineno(lineno)

    def _generation(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


class TemplateDict:
    def __call__(self, *args, **kwargs):
        return dict(*args, **kwargs)

    def fromkeys(self, *args, **kwargs):
        return dict.fromkeys(*args, **kwargs)


class TemplateNamespace(jinja2.utils.Namespace):
    def __init__(*args, **kwargs):
        self, args = args[0], args[1:]
        attrs = dict(*args, **kwargs)
        for name in attrs:
            TemplateNamespace._check_name(name)
        jinja2.utils.Namespace.__init__(self, attrs)

    def __setitem__(self, name, value):
        TemplateNamespace._check_name(name)
        jinja2.utils.Namespace.__setitem__(self, name, value)

    @staticmethod
    def _check_name(name):
        if isinstance(name, str) and name.startswith("_"):
            raise jinja2.exceptions.SecurityError(f"underscore-prefixed namespace attribute {name!r}")


REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")


def alias_reasoning(messages):
    out = []
    for m in messages:
        if isinstance(m, dict):
            r = next((m[k] for k in REASONING_FIELDS if m.get(k) is not None), None)
            if r is not None:
                m = {"thinking": r, **m, "reasoning_content": r}
        out.append(m)
    return out


def compile_template(source):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace
    return env.from_string(source)


def render(source, variables):
    v = dict(variables)
    v["messages"] = alias_reasoning(v.get("messages", []))
    v.setdefault("tools", None)
    v.setdefault("documents", None)
    v.setdefault("add_generation_prompt", False)
    return compile_template(source).render(**v)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        source = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        variables = json.load(f)
    try:
        print(json.dumps(render(source, variables), ensure_ascii=False))
    except jinja2.exceptions.TemplateError as e:
        print(f"raised: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()

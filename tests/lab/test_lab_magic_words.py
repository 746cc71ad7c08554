"""%knotebook's command line: a line shlex cannot split is the magic's one-line error."""

from __future__ import annotations

import pytest

from knotebook.lab import magics


@pytest.mark.parametrize("line", ['invoke "VmCreatedEvent', "invoke --set 'a=b"])
def test_an_unbalanced_quote_is_a_magic_error_not_a_traceback(line):
    magic = magics.KnotebookMagics(shell=None, recorder=magics.Recorder(None))
    with pytest.raises(magics.MagicError, match="No closing quotation") as raised:
        magic.knotebook(line)
    assert "\n" not in str(raised.value)

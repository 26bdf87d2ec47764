using System;
using System.Text;

namespace NetGen.Generator.Emit;

/// <summary>An indenting text writer for generated C#: four spaces a level, '\n' line ends on every platform.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder text = new();
    private int indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
            text.Append(' ', indent * 4).Append(line);
        text.Append('\n');
        return this;
    }

    public SourceWriter Lines(string block)
    {
        foreach (var line in block.Replace("\r\n", "\n").Split('\n'))
            Line(line);
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; disposing the result closes it.</summary>
    public IDisposable Block(string header, string close = "}")
    {
        if (header.Length > 0)
            Line(header);
        Line("{");
        indent++;
        return new Closer(this, close);
    }

    /// <summary>Indents by <paramref name="levels"/> until the result is disposed (0: a scope that changes nothing).</summary>
    public IDisposable Indent(int levels = 1)
    {
        indent += levels;
        return new Closer(this, null, levels);
    }

    public override string ToString() => text.ToString();

    private sealed class Closer(SourceWriter writer, string? close, int levels = 1) : IDisposable
    {
        public void Dispose()
        {
            writer.indent -= levels;
            if (close is not null)
                writer.Line(close);
        }
    }
}

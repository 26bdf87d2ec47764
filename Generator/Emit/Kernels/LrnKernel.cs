using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels;

/// <summary>
/// Local response normalisation across channels, one thread per value:
/// b = a / (k + alpha * sum of a^2 over the size nearest channels)^beta. With several columns the
/// window stays inside its column's channels, as each of AlexNet's GPUs normalised its own maps.
/// </summary>
internal static class LrnKernel
{
    public static void Body(SourceWriter w, LrnSpec lrn, OpModel op, int columns)
    {
        Shape shape = op.Input;
        int plane = shape.Height * shape.Width;
        w.Line($"int c = index / {plane} % {shape.Channels};");
        w.Line($"int channelZero = index - c * {plane}; // this pixel in channel 0");
        Window(w, shape.Channels, columns, lrn.Size, "c", "first", "last", declareColumn: true);
        w.Line("float squares = 0f;");
        using (w.Block("for (int j = first; j <= last; j++)"))
        {
            w.Line($"float a = input[channelZero + j * {plane}];");
            w.Line("squares += a * a;");
        }
        Comment(w, lrn);
        w.Line($"float value = input[index] * XMath.Pow({Format.FloatLiteral(lrn.K)} + {Format.FloatLiteral(lrn.EffectiveAlpha)} * squares, {Format.FloatLiteral(-lrn.Beta)});");
    }

    /// <summary>Writes the line that states the constants, and which alpha convention they follow.</summary>
    public static void Comment(SourceWriter w, LrnSpec lrn)
    {
        string alpha = lrn.AlphaDividedBySize ? $"alpha {Format.Float(lrn.Alpha)} / size {lrn.Size}" : $"alpha {Format.Float(lrn.Alpha)}, the paper's convention";
        w.Line($"// k {Format.Float(lrn.K)}, {alpha}, beta {Format.Float(lrn.Beta)}");
    }

    /// <summary>
    /// Declares <paramref name="first"/> and <paramref name="last"/>, the channels of
    /// <paramref name="c"/>'s window, clipped to the network, or with columns to c's column (whose
    /// first channel <paramref name="declareColumn"/> declares as <c>columnStart</c>).
    /// </summary>
    public static void Window(SourceWriter w, int channels, int columns, int size, string c, string first, string last, bool declareColumn)
    {
        int perColumn = channels / columns, half = size / 2;
        if (columns > 1)
        {
            if (declareColumn)
                w.Line($"int columnStart = {c} / {perColumn} * {perColumn}; // the window stays in {c}'s column");
            w.Line($"int {first} = {c} - {half} > columnStart ? {c} - {half} : columnStart;");
            w.Line($"int {last} = {c} + {half} < columnStart + {perColumn - 1} ? {c} + {half} : columnStart + {perColumn - 1};");
        }
        else
        {
            w.Line($"int {first} = {c} - {half} > 0 ? {c} - {half} : 0;");
            w.Line($"int {last} = {c} + {half} < {channels - 1} ? {c} + {half} : {channels - 1};");
        }
    }
}

using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>
/// Response normalisation's input gradient, from its formula. With s_i = k + alpha * (sum of a_j^2
/// over i's window) and b_i = a_i * s_i^-beta:
/// dL/da_c = delta_c * s_c^-beta - 2 * alpha * beta * a_c * sum over i whose window holds c of delta_i * b_i / s_i.
/// The windows are symmetric (c is in i's window exactly when i is in c's), so that sum runs over
/// c's own window. One thread per input value; each s_i is summed again rather than stored.
/// </summary>
internal static class LrnGradient
{
    public static void Input(SourceWriter w, LrnSpec lrn, OpModel op, int columns)
    {
        Shape shape = op.Input;
        int plane = shape.Height * shape.Width;
        w.Line($"int c = index / {plane} % {shape.Channels};");
        w.Line($"int channelZero = index - c * {plane}; // this pixel in channel 0");
        LrnKernel.Window(w, shape.Channels, columns, lrn.Size, "c", "first", "last", declareColumn: true);
        LrnKernel.Comment(w, lrn);
        w.Line("float gradient = 0f;");
        using (w.Block("for (int i = first; i <= last; i++)"))
        {
            LrnKernel.Window(w, shape.Channels, columns, lrn.Size, "i", "firstOfI", "lastOfI", declareColumn: false);
            w.Line("float squares = 0f;");
            using (w.Block("for (int j = firstOfI; j <= lastOfI; j++)"))
            {
                w.Line($"float a = input[channelZero + j * {plane}];");
                w.Line("squares += a * a;");
            }
            w.Line($"float scale = {Format.FloatLiteral(lrn.K)} + {Format.FloatLiteral(lrn.EffectiveAlpha)} * squares;");
            w.Line($"float power = XMath.Pow(scale, {Format.FloatLiteral(-lrn.Beta)});");
            w.Line($"float d = delta[channelZero + i * {plane}];");
            w.Line("if (i == c)");
            w.Line("    gradient += d * power;");
            w.Line($"gradient -= {Format.FloatLiteral(2f * lrn.EffectiveAlpha * lrn.Beta)} * input[index] * d * input[channelZero + i * {plane}] * power / scale;");
        }
    }
}

using System.Linq;
using NetGen.Generator.Attributes;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// Local response normalisation across channels: b = a / (k + alpha * sum of a^2 over the size
/// nearest channels)^beta. With several columns the window stays inside its column's channels, as
/// each of AlexNet's GPUs normalised its own maps. One thread per value forward and backward.
/// </summary>
[ReadFrom(typeof(LrnAttribute), Example = "Lrn(5)")]
internal sealed record Lrn(int Size, float Alpha, float Beta, float K, bool AlphaDividedBySize, LocationInfo? Location) : MainOperation(Location)
{
    public static Operation Read(OperationReading r)
    {
        var lrn = new LrnAttribute(0);
        return new Lrn(
            Size: r.Args.Int(0, "size", lrn.Size),
            Alpha: r.Args.Float(nameof(lrn.Alpha), lrn.Alpha),
            Beta: r.Args.Float(nameof(lrn.Beta), lrn.Beta),
            K: r.Args.Float(nameof(lrn.K), lrn.K),
            AlphaDividedBySize: r.Args.Int(nameof(lrn.AlphaConvention), (int)lrn.AlphaConvention) == (int)LrnAlpha.DividedBySize,
            Location: r.Location);
    }

    public override string Kind => "lrn";
    public override string AttributeName => "Lrn";
    public override bool StaysInColumn => true;
    public override bool FoldsReluMaskOnCpu => true;

    /// <summary>The alpha that multiplies the sum of squares in the kernel.</summary>
    public float EffectiveAlpha => AlphaDividedBySize ? Alpha / Size : Alpha;

    public override string Describe() =>
        $"lrn {Size}, alpha {Format.Float(Alpha)}{(AlphaDividedBySize ? "/n" : "")}, beta {Format.Float(Beta)}, k {Format.Float(K)}";

    public override void Check(RangeCheck check, string who)
    {
        check.AtLeast(Location, who, "size", Size, 1);
        check.NonNegative(Location, who, nameof(LrnAttribute.Alpha), Alpha);
        check.NonNegative(Location, who, nameof(LrnAttribute.Beta), Beta);
        check.Positive(Location, who, nameof(LrnAttribute.K), K);
        if (Size > 0 && Size % 2 == 0)
            check.Report(DiagnosticDescriptors.LrnEvenSize, Location, who, Size, Size + 1);
    }

    public override Shape? Infer(ShapeRule rule) => rule.Input;

    public override void WriteKernel(KernelWriting k)
    {
        var w = k.W;
        int plane = WriteChannelWindow(k);
        WriteSquares(w, plane, "first", "last");
        Comment(w);
        w.Line($"float value = input[index] * XMath.Pow({Format.FloatLiteral(K)} + {Format.FloatLiteral(EffectiveAlpha)} * squares, {Format.FloatLiteral(-Beta)});");
    }

    /// <summary>
    /// The input gradient, from the formula. With s_i = k + alpha * (sum of a_j^2 over i's window)
    /// and b_i = a_i * s_i^-beta:
    /// dL/da_c = delta_c * s_c^-beta - 2 * alpha * beta * a_c * sum over i whose window holds c of delta_i * b_i / s_i.
    /// The windows are symmetric (c is in i's window exactly when i is in c's), so that sum runs
    /// over c's own window; each s_i is summed again rather than stored.
    /// </summary>
    public override void WriteInputGradient(KernelWriting k)
    {
        var w = k.W;
        Shape shape = k.Input;
        int plane = WriteChannelWindow(k);
        Comment(w);
        w.Line("float gradient = 0f;");
        using (w.Block("for (int i = first; i <= last; i++)"))
        {
            Window(w, shape.Channels, k.Columns, "i", "firstOfI", "lastOfI", declareColumn: false);
            WriteSquares(w, plane, "firstOfI", "lastOfI");
            w.Line($"float scale = {Format.FloatLiteral(K)} + {Format.FloatLiteral(EffectiveAlpha)} * squares;");
            w.Line($"float power = XMath.Pow(scale, {Format.FloatLiteral(-Beta)});");
            w.Line($"float d = delta[channelZero + i * {plane}];");
            w.Line("if (i == c)");
            w.Line("    gradient += d * power;");
            w.Line($"gradient -= {Format.FloatLiteral(2f * EffectiveAlpha * Beta)} * input[index] * d * input[channelZero + i * {plane}] * power / scale;");
        }
    }

    /// <summary>Declares the thread's channel <c>c</c>, its pixel in channel 0 and <c>c</c>'s window; returns the plane's size.</summary>
    private int WriteChannelWindow(KernelWriting k)
    {
        Shape shape = k.Input;
        int plane = shape.Height * shape.Width;
        k.W.Line($"int c = index / {plane} % {shape.Channels};");
        k.W.Line($"int channelZero = index - c * {plane}; // this pixel in channel 0");
        Window(k.W, shape.Channels, k.Columns, "c", "first", "last", declareColumn: true);
        return plane;
    }

    /// <summary>Declares <c>squares</c>, the sum of a^2 over the channels <paramref name="first"/> to <paramref name="last"/> of this pixel.</summary>
    private static void WriteSquares(SourceWriter w, int plane, string first, string last)
    {
        w.Line("float squares = 0f;");
        using (w.Block($"for (int j = {first}; j <= {last}; j++)"))
        {
            w.Line($"float a = input[channelZero + j * {plane}];");
            w.Line("squares += a * a;");
        }
    }

    /// <summary>Writes the line that states the constants, and which alpha convention they follow.</summary>
    private void Comment(SourceWriter w)
    {
        string alpha = AlphaDividedBySize ? $"alpha {Format.Float(Alpha)} / size {Size}" : $"alpha {Format.Float(Alpha)}, the paper's convention";
        w.Line($"// k {Format.Float(K)}, {alpha}, beta {Format.Float(Beta)}");
    }

    /// <summary>
    /// Declares <paramref name="first"/> and <paramref name="last"/>, the channels of
    /// <paramref name="c"/>'s window, clipped to the network, or with columns to c's column (whose
    /// first channel <paramref name="declareColumn"/> declares as <c>columnStart</c>).
    /// </summary>
    private void Window(SourceWriter w, int channels, int columns, string c, string first, string last, bool declareColumn)
    {
        int perColumn = channels / columns, half = Size / 2;
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

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) =>
        $"public static readonly LrnGeometry {method} = new(Channels: {input.Channels}, Pixels: {input.Height * input.Width}, Size: {Size}, Alpha: {Format.FloatLiteral(EffectiveAlpha)}, Beta: {Format.FloatLiteral(Beta)}, K: {Format.FloatLiteral(K)}, ColumnChannels: {columnChannels});";

    public override void WriteCpuForward(CpuStep s) =>
        s.W.Line($"CpuLrn.Forward({s.GeometryField}, {s.InputField}, {s.OutputField}, BatchSize);");

    public override void WriteCpuBackward(CpuStep s) =>
        s.W.Line($"CpuLrn.Backward({s.GeometryField}, {s.InputField}, {s.Delta}, {s.InputGradient}, BatchSize{(s.FoldReluMask ? ", maskRelu: true" : "")});");

    /// <summary>ONNX's LRN, whose alpha is divided by the size (so the declared alpha is multiplied, as the decimal written: 1e-4 gives 5e-4); over several columns, split by column, normalised and joined again, since ONNX's window spans every channel.</summary>
    public override void WriteOnnx(OnnxWriting o)
    {
        string[] attributes = [OnnxWriting.Int("size", Size), OnnxWriting.Float("alpha", AlphaDividedBySize ? Alpha : (float)((decimal)Alpha * Size)), OnnxWriting.Float("beta", Beta), OnnxWriting.Float("bias", K)];
        if (o.Columns == 1)
        {
            o.Node("LRN", Kind, [o.Current], attributes);
            return;
        }
        long perColumn = o.Op.Input.Channels / o.Columns;
        string sizes = o.IntConstant("column_channels", Enumerable.Repeat(perColumn, o.Columns).ToArray());
        var parts = Enumerable.Range(0, o.Columns).Select(c => o.Unique($"{o.Layer.Name}/column{c}")).ToArray();
        o.Nodes("Split", "split_columns", [o.Current, sizes], parts, OnnxWriting.Int("axis", 1));
        var normalised = parts.Select((part, c) => o.Node("LRN", $"{Kind}_column{c}", [part], attributes)).ToArray();
        o.Node("Concat", "join_columns", normalised, OnnxWriting.Int("axis", 1));
    }

    /// <summary>PyTorch's <c>local_response_norm</c> (alpha divided by the size, so multiplied here), on each column's channels.</summary>
    public override void WritePyTorch(PyTorchWriting p)
    {
        p.Helper(
            "def lrn_in_columns(x, size, alpha, beta, k, columns):\n" +
            "    \"\"\"Local response normalisation with alpha multiplying the sum of squares, its window inside each column's channels.\"\"\"\n" +
            "    return torch.cat([F.local_response_norm(part, size, alpha * size, beta, k) for part in x.chunk(columns, 1)], 1)\n");
        p.Assign($"lrn_in_columns(h, {Size}, {PyTorchWriting.Float(EffectiveAlpha)}, {PyTorchWriting.Float(Beta)}, {PyTorchWriting.Float(K)}, {p.Columns})", Describe());
    }
}

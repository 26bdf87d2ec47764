using NetGen.Generator.Attributes;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// Inverted dropout: in training each value survives with probability 1 - rate and is scaled by
/// 1 / (1 - rate); in evaluation nothing happens. The mask is a hash of (seed, step, operation,
/// index in the whole network's activation), drawn again backward and the same on every backend
/// and every split, so nothing is stored.
/// </summary>
[ReadFrom(typeof(DropoutAttribute), Example = "Dropout(0.5f)")]
internal sealed record Dropout(float Rate, LocationInfo? Location) : ElementwiseOperation(Location)
{
    public static Operation Read(OperationReading r) => new Dropout(r.Args.Float(0, "rate", new DropoutAttribute(0f).Rate), r.Location);

    public override string Kind => "dropout";
    public override string AttributeName => "Dropout";
    public override string Describe() => $"dropout {Format.Float(Rate)}";
    public override bool IsGate => true;
    public override bool UsesDropoutKey => true;

    private string RateLiteral => Format.FloatLiteral(Rate);

    private float Scale => 1f / (1f - Rate);

    private string ScaleLiteral => Format.FloatLiteral(Scale);

    public override void Check(RangeCheck check, string who)
    {
        if (!(Rate >= 0f && Rate < 1f))
            check.Report(DiagnosticDescriptors.DropoutRate, Location, who, Format.Float(Rate));
    }

    public override void WriteForward(SourceWriter w, OpModel op, ElementwiseCode c)
    {
        w.Line($"// Dropout({Format.Float(Rate)}), inverted: survivors are scaled by 1 / (1 - rate) in training, nothing happens in evaluation.");
        w.Line("if (dropout.Training != 0)");
        w.Line(c.Math.IsVector
            ? $"    {c.Value} = {Kept(op, c)} & ({c.Value} * {c.Math.Constant(Scale)});"
            : $"    {c.Value} = dropout.Keeps({op.Id}, {Unit(op, c.Index)}, {RateLiteral}) ? {c.Value} * {ScaleLiteral} : 0f;");
    }

    public override void WriteChainStep(SourceWriter w, OpModel op, ElementwiseCode c)
    {
        if (!c.ValueReadAfter)
        {
            // The last step: only the gradient is masked.
            w.Line("if (dropout.Training != 0) // the forward mask, drawn again");
            w.Line(c.Math.IsVector
                ? $"    {c.Gradient} = {Kept(op, c)} & ({c.Gradient} * {c.Math.Constant(Scale)});"
                : $"    {c.Gradient} = dropout.Keeps({op.Id}, {Unit(op, c.Index)}, {RateLiteral}) ? {c.Gradient} * {ScaleLiteral} : 0f;");
            return;
        }
        using (w.Block("if (dropout.Training != 0) // the forward mask, drawn again"))
        {
            if (c.Math.IsVector)
            {
                w.Line($"var kept = {Kept(op, c)};");
                w.Line($"{c.Gradient} = kept & ({c.Gradient} * {c.Math.Constant(Scale)});");
                w.Line($"{c.Value} = kept & ({c.Value} * {c.Math.Constant(Scale)});");
                return;
            }
            w.Line($"bool kept = dropout.Keeps({op.Id}, {Unit(op, c.Index)}, {RateLiteral});");
            w.Line($"{c.Gradient} = kept ? {c.Gradient} * {ScaleLiteral} : 0f;");
            w.Line($"{c.Value} = kept ? {c.Value} * {ScaleLiteral} : 0f;");
        }
    }

    /// <summary>Sixteen masks from the index of the first: all bits where the value is kept.</summary>
    private string Kept(OpModel op, ElementwiseCode c) => $"CpuEpilogue.Kept(dropout, {op.Id}, {Unit(op, c.Index)}, {RateLiteral})";

    /// <summary>The unit in the step's whole batch of <paramref name="index"/>, this batch's: the same where the batch is the whole (FirstImage 0).</summary>
    private static string Unit(OpModel op, string index) => $"dropout.Unit({index}, {Format.Int(op.Output.Size)})";

    public override void WriteGate(SourceWriter w, OpModel op, string output, string element, string name)
    {
        w.Line($"if (dropout.Training != 0) // {name}'s dropout: the forward mask, drawn again");
        w.Line($"    gradient = dropout.Keeps({op.Id}, {Unit(op, element)}, {RateLiteral}) ? gradient * {ScaleLiteral} : 0f;");
    }

    public override void WriteCpuGate(CpuGate g, OpModel op, bool fused) =>
        g.W.Line(g.Contiguous
            ? $"CpuEpilogue.Dropout({g.Values}, {g.Count}, {Format.Int(op.Output.Size)}, dropout, {op.Id}, {RateLiteral});"
            : $"CpuEpilogue.Dropout({g.Values}, {g.Slice}, dropout, {op.Id}, {RateLiteral});");

    public override void WriteCpuGateMask(CpuGate g, OpModel op) =>
        g.W.Line(g.Contiguous
            ? $"CpuEpilogue.MaskDropout({g.Values}, {g.Count}, {Format.Int(op.Output.Size)}, dropout, {op.Id}, {RateLiteral});"
            : $"CpuEpilogue.MaskDropout({g.Values}, {g.Slice}, dropout, {op.Id}, {RateLiteral});");

    /// <summary>Nothing: dropout is the identity when evaluating.</summary>
    public override void WriteOnnx(OnnxWriting o)
    {
        // Left out of the exported graph, as evaluation leaves it out.
    }

    /// <summary>PyTorch's dropout, on in training mode (its masks are PyTorch's draws, not NetGen's).</summary>
    public override void WritePyTorch(PyTorchWriting p) => p.Assign($"F.dropout(h, {PyTorchWriting.Float(Rate)}, self.training)", Describe());
}

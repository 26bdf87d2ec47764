using NetGen.Generator.Attributes;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>ELU as PyTorch defines it: x where x > 0, alpha * (exp(x) - 1) elsewhere; derivative 1, or y + alpha.</summary>
[ReadFrom(typeof(EluAttribute), Example = "Elu(1f)")]
internal sealed record Elu(float Alpha, LocationInfo? Location) : ActivationFunction(Location)
{
    public static Operation Read(OperationReading r) => new Elu(r.Args.Float(0, "alpha", new EluAttribute().Alpha), r.Location);

    public override string Kind => "elu";
    public override string AttributeName => "Elu";
    public override string Describe() => $"elu {Format.Float(Alpha)}";

    public override void Check(RangeCheck check, string who) => check.NonNegative(Location, who, "alpha", Alpha);

    public override string Value(string x, Formula m) => m.IfPositive(x, x, m.Scaled(Alpha, $"{m.Exp(x)} - {m.Constant(1f)}"));

    public override string Derivative(string x, string y, Formula m) => m.IfPositive(x, m.Constant(1f), $"{y} + {m.Constant(Alpha)}");

    /// <inheritdoc/>
    public override void WriteOnnx(OnnxWriting o) => o.Node("Elu", Kind, [o.Current], OnnxWriting.Float("alpha", Alpha));

    /// <inheritdoc/>
    public override void WritePyTorch(PyTorchWriting p) => p.Assign($"F.elu(h, {PyTorchWriting.Float(Alpha)})", Describe());
}

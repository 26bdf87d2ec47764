using NetGen.Generator.Attributes;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// GELU in its tanh approximation, as PyTorch's <c>approximate='tanh'</c>: with
/// u = sqrt(2 / pi) (x + 0.044715 x^3) and t = tanh(u), y = 0.5 x (1 + t) and
/// dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2 / pi) (1 + 3 * 0.044715 x^2).
/// </summary>
[ReadFrom(typeof(GeluAttribute))]
internal sealed record Gelu(LocationInfo? Location) : ActivationFunction(Location)
{
    private const float Beta = 0.7978846f; // sqrt(2 / pi)
    private const float Kappa = 0.044715f;

    public static Operation Read(OperationReading r) => new Gelu(r.Location);

    public override string Kind => "gelu";
    public override string AttributeName => "Gelu";
    public override string Describe() => "gelu tanh";

    public override void Check(RangeCheck check, string who)
    {
        // no settings
    }

    private static string Tanh(string x, Formula m) => m.Tanh($"{m.Constant(Beta)} * ({x} + {m.Constant(Kappa)} * {x} * {x} * {x})");

    public override string Value(string x, Formula m) => ValueOf(x, Tanh(x, m), m);

    public override string Derivative(string x, string y, Formula m) => DerivativeOf(x, Tanh(x, m), m);

    private static string ValueOf(string x, string t, Formula m) => $"{m.Constant(0.5f)} * {x} * ({m.Constant(1f)} + {t})";

    private static string DerivativeOf(string x, string t, Formula m) =>
        $"{m.Constant(0.5f)} * ({m.Constant(1f)} + {t}) + {m.Constant(0.5f)} * {x} * ({m.Constant(1f)} - {t} * {t}) * {m.Constant(Beta)} * ({m.Constant(1f)} + {m.Constant(3f)} * {m.Constant(Kappa)} * {x} * {x})";

    /// <summary>As every activation's, with the tanh computed once for the value and the derivative.</summary>
    public override void WriteChainStep(SourceWriter w, OpModel op, ElementwiseCode c)
    {
        using (c.Step(w, Describe()))
        {
            string t = c.Value + "Tanh";
            w.Line($"{c.Math.Type} {t} = {Tanh(c.Value, c.Math)};");
            w.Line($"{c.Gradient} *= {DerivativeOf(c.Value, t, c.Math)};");
            if (c.ValueReadAfter)
                w.Line($"{c.Value} = {ValueOf(c.Value, t, c.Math)};");
        }
    }

    /// <summary>
    /// The tanh approximation from ONNX's arithmetic operators: opset 17, which the exporter writes
    /// so that older checkers and runtimes read it, has no Gelu (opset 20's has <c>approximate</c>).
    /// </summary>
    public override void WriteOnnx(OnnxWriting o)
    {
        string x = o.Current;
        string cube = o.Node("Mul", "gelu_square", [x, x]);
        cube = o.Node("Mul", "gelu_cube", [cube, x]);
        string inner = o.Node("Mul", "gelu_kappa", [cube, o.Scalar("gelu_kappa_value", Kappa)]);
        inner = o.Node("Add", "gelu_sum", [x, inner]);
        inner = o.Node("Mul", "gelu_beta", [inner, o.Scalar("gelu_beta_value", Beta)]);
        string t = o.Node("Tanh", "gelu_tanh", [inner]);
        string onePlus = o.Node("Add", "gelu_one_plus", [t, o.Scalar("gelu_one", 1f)]);
        string half = o.Node("Mul", "gelu_half", [x, o.Scalar("gelu_half_value", 0.5f)]);
        o.Node("Mul", Kind, [half, onePlus]);
    }

    /// <inheritdoc/>
    public override void WritePyTorch(PyTorchWriting p) => p.Assign("F.gelu(h, approximate=\"tanh\")", Describe());
}

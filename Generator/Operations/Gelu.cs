using NetGen.Generator.Attributes;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;

namespace NetGen.Generator.Operations;

/// <summary>
/// GELU in its tanh approximation, as PyTorch's <c>approximate='tanh'</c>: with
/// u = sqrt(2 / pi) (x + 0.044715 x^3) and t = tanh(u), y = 0.5 x (1 + t) and
/// dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2 / pi) (1 + 3 * 0.044715 x^2).
/// </summary>
[ReadFrom(typeof(GeluAttribute))]
internal sealed record Gelu(LocationInfo? Location) : ActivationFunction(Location)
{
    private const string Beta = "0.7978846f"; // sqrt(2 / pi)
    private const string Kappa = "0.044715f";

    public static Operation Read(OperationReading r) => new Gelu(r.Location);

    public override string Kind => "gelu";
    public override string AttributeName => "Gelu";
    public override string Describe() => "gelu tanh";

    public override void Check(RangeCheck check, string who)
    {
        // no settings
    }

    private static string Tanh(string x, string math) => $"{math}.Tanh({Beta} * ({x} + {Kappa} * {x} * {x} * {x}))";

    public override string Value(string x, string math) => $"0.5f * {x} * (1f + {Tanh(x, math)})";

    public override string Derivative(string x, string y, string math) => Derivative(x, Tanh(x, math));

    private static string Derivative(string x, string t) => $"0.5f * (1f + {t}) + 0.5f * {x} * (1f - {t} * {t}) * {Beta} * (1f + 3f * {Kappa} * {x} * {x})";

    /// <summary>As every activation's, with the tanh computed once for the value and the derivative.</summary>
    public override void WriteChainStep(SourceWriter w, OpModel op, ElementwiseCode c)
    {
        using (w.Block($"// {Describe()}"))
        {
            string t = c.Value + "Tanh";
            w.Line($"float {t} = {Tanh(c.Value, c.Math)};");
            w.Line($"{c.Gradient} *= {Derivative(c.Value, t)};");
            w.Line($"{c.Value} = 0.5f * {c.Value} * (1f + {t});");
        }
    }
}

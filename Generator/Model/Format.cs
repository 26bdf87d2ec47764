using System.Globalization;
using NetGen.Generator.Attributes;

namespace NetGen.Generator.Model;

/// <summary>Numbers as generated code and messages write them: invariant culture, round-trip precision.</summary>
internal static class Format
{
    public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A C# float literal: <c>0.0001f</c>, <c>1E-05f</c>.</summary>
    public static string FloatLiteral(float value) => Float(value) + "f";

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Thousands separated: 60,965,224.</summary>
    public static string Grouped(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A quotient as a short decimal: 54.25.</summary>
    public static string Decimal(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    public static string RoundingSuffix(Rounding round) => round switch
    {
        Rounding.Floor => ", floor",
        Rounding.Ceil => ", ceil",
        _ => "",
    };
}

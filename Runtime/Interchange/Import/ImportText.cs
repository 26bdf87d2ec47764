using System.Globalization;

namespace NetGen.Interchange;

/// <summary>How the written declaration spells numbers: as the generator's own <c>Format</c> does, so a value reads back bit for bit.</summary>
internal static class ImportText
{
    /// <summary>A C# float literal, the shortest that reads back as the same float: <c>0.0001f</c>, <c>1E-05f</c>.</summary>
    public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";

    /// <summary>A whole number without separators.</summary>
    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}

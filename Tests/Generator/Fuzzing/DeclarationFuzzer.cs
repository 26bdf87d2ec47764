using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace NetGen.Tests.Generator.Fuzzing;

/// <summary>One generated test case: the sources the compiler sees, and what was drawn for them.</summary>
/// <param name="Seed">The seed that drew it.</param>
/// <param name="Description">What was drawn: the kind of network, the type's form, every mistake.</param>
/// <param name="Files">The sources, as (path, text).</param>
/// <param name="Clean">Drawn without mistakes: the generator must emit a network that compiles.</param>
internal sealed record FuzzCase(int Seed, string Description, (string Path, string Text)[] Files, bool Clean);

/// <summary>
/// Random [Network] declarations from a seed. Half start from a network whose shapes fit (each
/// convolution and pool sized from the activation it receives), so the emitters run and their
/// output must compile; every case then draws mistakes: sizes set to zero, negative, huge or one
/// past fitting; arguments of the wrong type; missing, duplicated or malformed members; types the
/// generator cannot extend (generic, nested, static, records, structs); and a network spread over
/// partial declarations in two files.
/// </summary>
internal sealed class DeclarationFuzzer
{
    private static readonly string[] WrongValues = ["1.5", "\"3\"", "true", "null", "'c'", "2.5f", "typeof(int)", "new[] { 1 }", "System.DayOfWeek.Monday", "Undefined.Value"];
    private static readonly string[] LayerNames = ["Conv1", "Conv2", "Pool", "Fc", "Fc2", "Head", "Layer", "Output", "Features", "Partition", "Network", "Info", "Forward"];

    private readonly Random random;
    private readonly List<string> drawn = [];

    /// <summary>A case drawn without mistakes: a sound network in a well-formed type, which must generate and compile.</summary>
    private bool clean;

    private DeclarationFuzzer(int seed) => random = new Random(seed);

    public static FuzzCase Generate(int seed)
    {
        var fuzzer = new DeclarationFuzzer(seed);
        var files = fuzzer.Files();
        return new FuzzCase(seed, string.Join(", ", fuzzer.drawn), files, fuzzer.clean);
    }

    private bool Chance(double p) => random.NextDouble() < p;

    /// <summary>A chance of a mistake: never in a clean case.</summary>
    private bool Mistake(double p) => !clean && Chance(p);

    private T Pick<T>(params T[] items) => items[random.Next(items.Length)];

    private void Note(string what) => drawn.Add(what);

    private (string, string)[] Files()
    {
        bool sound = Chance(0.6);
        clean = sound && Chance(0.55);
        Note(clean ? "clean" : sound ? "sound shapes" : "random shapes");
        var (header, layers) = sound ? SoundNetwork() : RandomNetwork();
        var members = layers.Select(Member).ToList();
        if (Mistake(0.1))
        {
            Note("duplicate member");
            members.Add(members.Count > 0 ? Pick(members.ToArray()) : "public partial Layer Conv1 { get; }");
        }
        if (Chance(0.05))
        {
            Note("unrelated members");
            members.Add("public int Count => 3;");
            members.Add("public static void Helper() { }");
        }

        var (outer, open, close) = TypeDeclaration();
        string ns = Pick("namespace Fuzz;\n", "namespace Fuzz.Deep.Inner;\n", "");
        string attribute = NetworkAttribute(header);
        string defaults = Chance(0.1) ? TrainingDefaults() : "";

        if (Chance(0.12))
        {
            // The second part holds some of the layers (NG0019), or when clean only other members.
            Note("two files");
            int split = clean || members.Count < 2 ? members.Count : random.Next(1, members.Count);
            var rest = members.Skip(split).ToList();
            if (rest.Count == 0)
                rest.Add("public override string ToString() => \"fuzzed\";");
            string second = Mistake(0.2) ? attribute : "";
            return
            [
                ("A.cs", Source(ns, outer, attribute + defaults, open, close, members.Take(split))),
                ("B.cs", Source(ns, string.Join('\n', outer.Split('\n').Where(line => !line.Contains("class Inner"))), second, open, close, rest)),
            ];
        }
        return [("Net.cs", Source(ns, outer, attribute + defaults, open, close, members))];
    }

    private static string Source(string ns, string outer, string attributes, string open, string close, IEnumerable<string> members)
    {
        var text = new StringBuilder("using NetGen;\n").Append(ns).Append(outer);
        text.Append(attributes).Append(open).Append('\n');
        foreach (var member in members)
            text.Append("    ").Append(member).Append('\n');
        return text.Append(close).Append('\n').ToString();
    }

    /// <summary>What encloses the network (before its attributes), its opening line and the closing braces.</summary>
    private (string Outer, string Open, string Close) TypeDeclaration()
    {
        string name = Pick("Net", "Fuzzed", "AlexNet", "Network", "N");
        string form = clean
            ? Pick("sealed partial class", "sealed partial class", "partial class", "public partial class", "internal sealed partial class", "nested")
            : Chance(0.5) ? "sealed partial class" : Pick(
                "partial class", "class", "static partial class", "abstract partial class", "partial record", "partial struct",
                "partial record struct", "partial interface", "partial class<T>", "partial class : System.Exception",
                "nested", "nested in plain", "nested in generic", "public partial class", "internal sealed partial class");
        Note(form);
        return form switch
        {
            "partial class<T>" => ("", $"public partial class {name}<T>\n{{", "}"),
            "partial class : System.Exception" => ("", $"public partial class {name} : System.Exception\n{{", "}"),
            "nested" => ("public partial class Outer\n{\n[Network(Channels = 1, Height = 1, Width = 1)] public sealed partial class Inner { [Dense(2)] public partial Layer Fc { get; } }\n",
                $"public sealed partial class {name}\n{{", "}\n}"),
            "nested in plain" => ("public class Outer\n{\n", $"public sealed partial class {name}\n{{", "}\n}"),
            "nested in generic" => ("public partial class Outer<T>\n{\n", $"public sealed partial class {name}\n{{", "}\n}"),
            _ => ("", $"{(form.StartsWith("internal", StringComparison.Ordinal) ? "" : "public ")}{form.Replace("public ", "")} {name}\n{{", "}"),
        };
    }

    private string NetworkAttribute(NetworkHeader header)
    {
        var args = new List<string>();
        void Add(string key, int value)
        {
            if (Mistake(0.03))
            {
                Note($"{key} omitted");
                return;
            }
            args.Add($"{key} = {Mutate(key, value)}");
            if (Mistake(0.02))
            {
                Note($"{key} twice");
                args.Add($"{key} = {value}");
            }
        }
        Add("Channels", header.Channels);
        Add("Height", header.Height);
        Add("Width", header.Width);
        if (header.Columns != 1 || Chance(0.2))
            Add("Columns", header.Columns);
        if (Mistake(0.03))
        {
            Note("positional network argument");
            args.Insert(0, "3");
        }
        return $"[Network({string.Join(", ", args)})]\n";
    }

    private string TrainingDefaults()
    {
        Note("training defaults");
        return $"[TrainingDefaults(Epochs = {Pick("1", "-3", "0", "90")}, LearningRate = {Pick("0.01f", "-1f", "float.NaN", "1e30f")}, Patience = {Pick("0", "2", "-1")})]\n";
    }

    /// <summary>A property line for a layer: usually the right form, sometimes one the generator must refuse.</summary>
    private string Member(Layer layer)
    {
        string attributes = layer.Ops.Count == 0 ? ""
            : Chance(0.5) ? "[" + string.Join(", ", layer.Ops) + "] "
            : string.Concat(layer.Ops.Select(o => "[" + o + "]")) + " ";
        string form = !Mistake(0.08) ? "public partial Layer {0} {{ get; }}" : Pick(
            "public Layer {0} {{ get; }}", "public partial Layer {0} {{ get; set; }}", "public static partial Layer {0} {{ get; }}",
            "public partial int {0} {{ get; }}", "public Layer? {0};", "public Layer {0}() => null!;", "private partial Layer {0} {{ get; }}",
            "internal partial Layer {0} {{ get; }}", "public virtual partial Layer {0} {{ get; }}", "public partial Layer {0} {{ get => null!; }}",
            "public partial Layer this[int i] {{ get; }}", "public required partial Layer {0} {{ get; init; }}");
        if (form != "public partial Layer {0} {{ get; }}")
            Note($"member '{form}'");
        return attributes + string.Format(form, layer.Name);
    }

    private sealed record NetworkHeader(int Channels, int Height, int Width, int Columns);

    private sealed record Layer(string Name, List<string> Ops);

    /// <summary>
    /// A network whose shapes fit before any mutation: convolutions and pools sized from the
    /// activation they receive, filters a multiple of columns times groups, then dense layers.
    /// </summary>
    private (NetworkHeader, List<Layer>) SoundNetwork()
    {
        int columns = Chance(0.25) ? 2 : 1;
        int channels = Pick(1, 2, 3, 4), height = random.Next(1, 24), width = Chance(0.7) ? height : random.Next(1, 24);
        var layers = new List<Layer>();
        int c = channels, h = height, w = width, index = 1;
        bool first = true;
        while (h > 1 && w > 1 && layers.Count < 4 && Chance(0.75))
        {
            var ops = new List<string>();
            int kernel = random.Next(1, Math.Min(Math.Min(h, w), 5) + 1), stride = Pick(1, 1, 2), pad = random.Next(0, kernel / 2 + 1);
            int groups = !first && c % (2 * columns) == 0 && Chance(0.4) ? 2 * columns : columns > 1 && !first && c % columns == 0 ? columns : 1;
            int filters = columns * groups * random.Next(1, 5);
            string round = (h + 2 * pad - kernel) % stride == 0 && (w + 2 * pad - kernel) % stride == 0 ? "" : ", Round = Rounding.Floor";
            ops.Add(Conv(filters, kernel, stride, pad, groups, round));
            (c, h, w) = (filters, (h + 2 * pad - kernel) / stride + 1, (w + 2 * pad - kernel) / stride + 1);
            if (Chance(0.6))
                ops.Add(Activation());
            if (Chance(0.25))
                ops.Add($"Lrn({Pick(1, 3, 5)})");
            if (h >= 2 && w >= 2 && Chance(0.4))
            {
                int window = Math.Min(Math.Min(h, w), Pick(2, 3)), poolStride = Pick(1, 2), up = Chance(0.5) ? poolStride - 1 : 0;
                ops.Add($"{Pick("MaxPool", "AvgPool")}({window}, Stride = {poolStride}, Round = Rounding.{(up > 0 ? "Ceil" : "Floor")})");
                h = (h - window + up) / poolStride + 1;
                w = (w - window + up) / poolStride + 1;
            }
            layers.Add(new Layer($"Conv{index++}", ops));
            first = false;
        }
        int denseLayers = random.Next(layers.Count == 0 ? 1 : 0, 3);
        for (int i = 0; i < denseLayers; i++)
        {
            bool last = i == denseLayers - 1;
            var ops = new List<string> { $"Dense({columns * random.Next(1, 9)})" };
            if (!last && Chance(0.7))
                ops.Add(Activation());
            if (!last && Chance(0.3))
                ops.Add($"Dropout({Pick("0.5f", "0.25f", "0f")})");
            if (last && Chance(0.7))
                ops.Add("Softmax");
            layers.Add(new Layer($"Fc{index++}", ops));
        }
        MutateLayers(layers, 0.06);
        return (new NetworkHeader(channels, height, width, columns), layers);
    }

    /// <summary>Any sequence of operations with sizes from anywhere: most fail the shape checks, some fit.</summary>
    private (NetworkHeader, List<Layer>) RandomNetwork()
    {
        var layers = new List<Layer>();
        int count = random.Next(0, 6);
        for (int i = 0; i < count; i++)
        {
            var ops = new List<string>();
            int opCount = random.Next(0, 4);
            for (int j = 0; j < opCount; j++)
                ops.Add(random.Next(9) switch
                {
                    0 or 1 => Conv(Size(), Size(), Pick(1, 1, 2, Size()), Pick(0, 1, Size()), Pick(1, 1, 2, 3, Size()), Chance(0.3) ? $", Round = Rounding.{Pick("Floor", "Ceil", "Exact")}" : ""),
                    2 or 3 => $"Dense({Size()})",
                    4 => Pick(Activation(), "Elu(-1f)", "LeakyRelu(float.NaN)", "Elu(float.PositiveInfinity)"),
                    5 => $"Lrn({Size()}{(Chance(0.3) ? $", Alpha = {Pick("-1f", "0f", "float.PositiveInfinity", "1e-4f")}, K = {Pick("0f", "2f", "-1f")}" : "")})",
                    6 => $"{Pick("MaxPool", "AvgPool")}({Size()}{(Chance(0.5) ? $", Stride = {Size()}" : "")}{(Chance(0.3) ? $", Pad = {Size()}" : "")})",
                    7 => $"Dropout({Pick("0.5f", "1f", "-0.5f", "float.NaN", "0f", "0.999f")})",
                    _ => "Softmax",
                });
            layers.Add(new Layer(Chance(0.8) ? $"L{i}" : Pick(LayerNames), ops));
        }
        MutateLayers(layers, 0.1);
        return (new NetworkHeader(Size(), Size(), Size(), Pick(1, 1, 2, 3, Size())), layers);
    }

    /// <summary>ReLU most often, else one of the other activations, with settings in range.</summary>
    private string Activation() => Chance(0.5) ? "Relu" : Pick("LeakyRelu", "LeakyRelu(0.2f)", "Elu", "Elu(0.5f)", "Gelu", "Sigmoid", "Tanh");

    private static string Conv(int filters, int kernel, int stride, int pad, int groups, string round)
    {
        var text = new StringBuilder($"Conv({filters}, Kernel = {kernel}");
        if (stride != 1)
            text.Append($", Stride = {stride}");
        if (pad != 0)
            text.Append($", Pad = {pad}");
        if (groups != 1)
            text.Append($", Groups = {groups}");
        return text.Append(round).Append(')').ToString();
    }

    /// <summary>A size from the whole range that matters: small, zero, negative, huge.</summary>
    private int Size() => random.Next(10) switch
    {
        < 6 => random.Next(1, 12),
        6 => Pick(0, -1, -7),
        7 => Pick(int.MaxValue, int.MinValue, 1 << 30, 65536, 46341),
        8 => random.Next(12, 300),
        _ => random.Next(1, 4),
    };

    /// <summary>Replaces numeric arguments at random by edge values or values of the wrong type.</summary>
    private void MutateLayers(List<Layer> layers, double rate)
    {
        foreach (var layer in layers)
            for (int i = 0; i < layer.Ops.Count; i++)
            {
                if (!Mistake(rate))
                    continue;
                string op = layer.Ops[i];
                var digits = System.Text.RegularExpressions.Regex.Matches(op, @"(?<![\w.])\d+(?![\w.])");
                if (digits.Count == 0)
                {
                    Note($"{op} repeated");
                    layer.Ops.Insert(i, op);
                    i++;
                    continue;
                }
                var target = digits[random.Next(digits.Count)];
                string value = Chance(0.3) ? Pick(WrongValues) : Pick("0", "-1", "2147483647", "-2147483648", (long.Parse(target.Value) + 1).ToString());
                Note($"{op}: {target.Value} -> {value}");
                layer.Ops[i] = op[..target.Index] + value + op[(target.Index + target.Length)..];
            }
    }

    private string Mutate(string key, int value)
    {
        if (!Mistake(0.05))
            return value.ToString();
        string mutated = Chance(0.4) ? Pick(WrongValues) : Pick("0", "-1", "2147483647", "100000", (value + 1).ToString());
        Note($"{key} {value} -> {mutated}");
        return mutated;
    }
}

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
/// output must compile; some of those are graphs (BatchNorm, residual Add, Input = nameof). Every
/// case then draws mistakes: sizes set to zero, negative, huge or one past fitting; arguments of the
/// wrong type; missing, duplicated or malformed members; types the generator cannot extend
/// (generic, nested, static, records, structs); a network spread over partial declarations in two
/// files; and the graph's own: Add or Input naming a layer that is not an earlier one, an Add of
/// another shape or out of place, a layer nobody reads, two BatchNorms, BatchNorm settings out of
/// range.
/// </summary>
internal sealed class DeclarationFuzzer
{
    private static readonly string[] WrongValues = ["1.5", "\"3\"", "true", "null", "'c'", "2.5f", "typeof(int)", "new[] { 1 }", "System.DayOfWeek.Monday", "Undefined.Value"];
    private static readonly string[] LayerNames = ["Conv1", "Conv2", "Pool", "Fc", "Fc2", "Head", "Layer", "Output", "Features", "Partition", "Network", "Info", "Forward", "Description", "Tensors", "Device", "Dropout"];

    /// <summary>Layer names that the generated code's own names must give way to: its activations and fields are renamed around them.</summary>
    private static readonly string[] FreeNames = ["Device", "Column", "Exchange", "Dropout", "Cpu", "Input", "Info", "Forward", "Output", "Features", "Head", "device", "input", "kernels"];

    /// <summary>Layer names the generated network uses itself (NG0032).</summary>
    private static readonly string[] TakenNames = ["Description", "Shapes", "Layers", "Tensors", "Partition", "Trainer", "Kernels", "TensorIndex", "XMath", "CpuConv", "Backend"];

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

    /// <summary>One image's activation as the fuzzer follows it: channels x height x width (a dense output is units x 1 x 1).</summary>
    private readonly record struct Shape(int C, int H, int W)
    {
        public override string ToString() => H == 1 && W == 1 ? $"{C}" : $"{C}x{H}x{W}";
    }

    /// <summary>Whether the sound network being drawn is a graph: BatchNorm, residual joins, layers that read an earlier one.</summary>
    private bool graph;

    /// <summary>The output of each layer drawn so far, for the joins of the layers after it.</summary>
    private readonly List<(string Name, Shape Shape)> outputs = [];

    /// <summary>
    /// A network whose shapes fit before any mutation: convolutions and pools sized from the
    /// activation they receive, filters a multiple of columns times groups, then dense layers. Half
    /// of them (on one device or two) are graphs: BatchNorm after a Conv or Dense (mostly with
    /// <c>Bias = false</c>, else with the bias NG0030 warns of), residual blocks whose convolution
    /// keeps its input's shape and adds an earlier layer of that shape, and projection shortcuts
    /// (a 1x1 convolution or a dense layer of the previous layer, then a branch that reads the same
    /// layer by <c>Input = nameof(...)</c> and adds the shortcut), so every layer is still read.
    /// </summary>
    private (NetworkHeader, List<Layer>) SoundNetwork()
    {
        int columns = Chance(0.25) ? 2 : 1;
        // BatchNorm, Add and Input split over columns as every other operation does.
        graph = Chance(0.5);
        if (graph)
            Note(columns == 1 ? "graph" : "graph with Columns = 2");
        int channels = Pick(1, 2, 3, 4), height = random.Next(1, 24), width = Chance(0.7) ? height : random.Next(1, 24);
        var layers = new List<Layer>();
        int c = channels, h = height, w = width, index = 1;
        bool first = true;
        while (h > 1 && w > 1 && layers.Count < 4 && Chance(0.75))
        {
            var ops = new List<string>();
            if (graph && !first && Chance(0.2))
            {
                // A projection shortcut, as ResNet's: a strided 1x1 convolution of the previous
                // layer, then a branch that reads the same layer by name, is sized like it
                // (an odd kernel padded by half) and adds it.
                string block = layers[^1].Name, shortcut = $"Conv{index++}";
                int stride = Pick(1, 2), kernel = Pick(1, 3, 3, 5), filters = columns * random.Next(1, 5);
                string round = (h - 1) % stride == 0 && (w - 1) % stride == 0 ? "" : ", Round = Rounding.Floor";
                var projected = new Shape(filters, (h - 1) / stride + 1, (w - 1) / stride + 1);
                Note($"projection shortcut {shortcut} of {block}");
                Learnable(ops, Conv(filters, 1, stride, 0, 1, round));
                if (Chance(0.2))
                    ops.Add(Activation());
                outputs.Add((shortcut, projected));
                layers.Add(new Layer(shortcut, ops));
                ops = [];
                Learnable(ops, Conv(filters, kernel, stride, kernel / 2, 1, round + $", Input = nameof({block})"));
                ops.Add($"Add(nameof({shortcut}))");
                (c, h, w) = (projected.C, projected.H, projected.W);
            }
            else
            {
                int kernel, stride, pad, groups, filters;
                if (graph && !first && Chance(0.4))
                {
                    // A residual block's convolution: its input's shape out, so an earlier layer of that shape can be added.
                    kernel = Pick(1, 3, 3, 5);
                    (stride, pad, filters) = (1, kernel / 2, c);
                    groups = c % 2 == 0 && Chance(0.3) ? 2 : 1;
                }
                else
                {
                    kernel = random.Next(1, Math.Min(Math.Min(h, w), 5) + 1);
                    stride = Pick(1, 1, 2);
                    pad = random.Next(0, kernel / 2 + 1);
                    groups = !first && c % (2 * columns) == 0 && Chance(0.4) ? 2 * columns : columns > 1 && !first && c % columns == 0 ? columns : 1;
                    filters = columns * groups * random.Next(1, 5);
                }
                string round = (h + 2 * pad - kernel) % stride == 0 && (w + 2 * pad - kernel) % stride == 0 ? "" : ", Round = Rounding.Floor";
                Learnable(ops, Conv(filters, kernel, stride, pad, groups, round + Previous(layers)));
                (c, h, w) = (filters, (h + 2 * pad - kernel) / stride + 1, (w + 2 * pad - kernel) / stride + 1);
                Residual(ops, new Shape(c, h, w), 0.5);
            }
            // Lrn, a pool and a late BatchNorm are main operations too: a join may follow any of them, once a layer.
            bool joined = ops.Any(o => o.StartsWith("Add(", StringComparison.Ordinal));
            bool Join() => !joined && (joined = Residual(ops, new Shape(c, h, w), 0.25));
            if (Chance(0.6))
                ops.Add(Activation());
            if (Chance(0.25))
            {
                ops.Add($"Lrn({Pick(1, 3, 5)})");
                Join();
            }
            if (h >= 2 && w >= 2 && Chance(0.4))
            {
                int window = Math.Min(Math.Min(h, w), Pick(2, 3)), poolStride = Pick(1, 2), up = Chance(0.5) ? poolStride - 1 : 0;
                ops.Add($"{Pick("MaxPool", "AvgPool")}({window}, Stride = {poolStride}, Round = Rounding.{(up > 0 ? "Ceil" : "Floor")})");
                h = (h - window + up) / poolStride + 1;
                w = (w - window + up) / poolStride + 1;
                if (Join() && Chance(0.5))
                    ops.Add(Activation());
            }
            else if (Chance(0.08))
            {
                ops.Add("GlobalAvgPool");
                (h, w) = (1, 1);
                Join();
            }
            if (LateNorm(ops))
                Join();
            outputs.Add(($"Conv{index}", new Shape(c, h, w)));
            layers.Add(new Layer($"Conv{index++}", ops));
            first = false;
        }
        int denseLayers = random.Next(layers.Count == 0 ? 1 : 0, graph ? 4 : 3);
        for (int i = 0; i < denseLayers; i++)
        {
            // Units of an earlier vector (a dense layer, a pooled convolution) let a join add it.
            var vectors = outputs.Where(o => o.Shape is { H: 1, W: 1 } && o.Shape.C % columns == 0).ToArray();
            int units = graph && vectors.Length > 0 && Chance(0.5) ? Pick(vectors).Shape.C : columns * random.Next(1, 9);
            if (columns > 1 && i == denseLayers - 1 && Chance(0.3))
            {
                // The classes: any number of them; when they do not split over the columns, every column computes the whole layer.
                units = random.Next(1, 9);
                if (units % columns != 0)
                    Note($"{units} classes over {columns} columns");
            }
            var ops = new List<string>();
            if (graph && i + 1 < denseLayers && layers.Count > 0 && Chance(0.25))
            {
                // A dense shortcut: this layer and the next read the previous one, and the next adds this one.
                string block = layers[^1].Name, shortcut = $"Fc{index++}";
                Note($"dense shortcut {shortcut} of {block}");
                Learnable(ops, $"Dense({units})");
                if (Chance(0.5))
                    ops.Add(Activation());
                outputs.Add((shortcut, new Shape(units, 1, 1)));
                layers.Add(new Layer(shortcut, ops));
                ops = [];
                Learnable(ops, $"Dense({units}, Input = nameof({block}))");
                ops.Add($"Add(nameof({shortcut}))");
                i++;
            }
            else
            {
                Learnable(ops, $"Dense({units}{Previous(layers)})");
                Residual(ops, new Shape(units, 1, 1), 0.5);
            }
            bool last = i == denseLayers - 1;
            if (!last && Chance(0.7))
                ops.Add(Activation());
            if (!last && Chance(0.3))
                ops.Add($"Dropout({Pick("0.5f", "0.25f", "0f")})");
            if (last && Chance(0.7))
                ops.Add("Softmax");
            outputs.Add(($"Fc{index}", new Shape(units, 1, 1)));
            layers.Add(new Layer($"Fc{index++}", ops));
        }
        if (layers.Count > 0 && Chance(0.1))
        {
            // A layer named like something the generated code names: some the generator renames its own around, some it refuses.
            int renamed = random.Next(layers.Count);
            string name = Mistake(0.4) ? Pick(TakenNames) : Pick(FreeNames), old = layers[renamed].Name;
            Note($"{old} named {name}");
            for (int i = 0; i < layers.Count; i++)
                layers[i] = new Layer(i == renamed ? name : layers[i].Name, layers[i].Ops.Select(o => o.Replace($"nameof({old})", $"nameof({name})")).ToList());
        }
        MutateLayers(layers, 0.06);
        GraphMistakes(layers);
        return (new NetworkHeader(channels, height, width, columns), layers);
    }

    /// <summary>
    /// Adds a Conv or Dense (<paramref name="op"/>, which ends in its closing parenthesis), and in a
    /// graph sometimes BatchNorm after it: mostly with <c>Bias = false</c>, sometimes with the bias
    /// NG0030 warns of (a warning: the network must still generate).
    /// </summary>
    private void Learnable(List<string> ops, string op)
    {
        bool norm = graph && Chance(0.4);
        if (norm ? Chance(0.75) : Chance(0.05))
            op = op[..^1] + ", Bias = false)";
        if (norm)
            Note(op.EndsWith(", Bias = false)", StringComparison.Ordinal) ? "BatchNorm" : "bias before BatchNorm");
        ops.Add(op);
        if (!norm)
            return;
        ops.Add(BatchNorm());
        if (Mistake(0.1))
        {
            Note("BatchNorm twice");
            ops.Add(BatchNorm());
        }
    }

    /// <summary>Rarely, BatchNorm after a convolution's activation or pool (a second one in the layer is NG0031); whether it added one.</summary>
    private bool LateNorm(List<string> ops)
    {
        if (!graph)
            return false;
        bool normed = ops.Any(o => o.StartsWith("BatchNorm", StringComparison.Ordinal));
        if (normed ? !Mistake(0.15) : !Chance(0.08))
            return false;
        Note(normed ? "second BatchNorm at the end" : "BatchNorm at the end");
        ops.Add(BatchNorm());
        return true;
    }

    /// <summary>BatchNorm, sometimes with settings in range, and as a mistake out of it or of the wrong type.</summary>
    private string BatchNorm()
    {
        var args = new List<string>();
        if (Chance(0.2))
            args.Add("Eps = " + (Mistake(0.4) ? Bad("Eps", "0f", "-1e-5f", "float.NaN", "float.PositiveInfinity", "float.NegativeInfinity", "1e-5")
                : Pick("1e-5f", "1e-3f", "0.5f", "1", "1e-30f", "float.Epsilon", "1e30f")));
        if (Chance(0.2))
            args.Add("Momentum = " + (Mistake(0.4) ? Bad("Momentum", "-0.1f", "1.5f", "float.NaN", "2", "-1", "float.PositiveInfinity")
                : Pick("0.1f", "0.01f", "0f", "1f", "1", "0.9f")));
        return args.Count == 0 ? Pick("BatchNorm", "BatchNorm", "BatchNorm()") : $"BatchNorm({string.Join(", ", args)})";
    }

    /// <summary>A value out of range (or, less often, of the wrong type) for <paramref name="key"/>, noted.</summary>
    private string Bad(string key, params string[] values)
    {
        string value = Chance(0.2) ? Pick(WrongValues) : Pick(values);
        Note($"{key} = {value}");
        return value;
    }

    /// <summary>In a graph, now and then <c>, Input = nameof(...)</c> of the previous layer, which the layer reads anyway.</summary>
    private string Previous(List<Layer> layers)
    {
        if (!graph || layers.Count == 0 || !Chance(0.08))
            return "";
        Note($"Input = {layers[^1].Name}, the previous layer");
        return $", Input = nameof({layers[^1].Name})";
    }

    /// <summary>
    /// In a graph, sometimes a residual Add of an earlier layer whose output has
    /// <paramref name="shape"/>, the value's at this point; as a mistake, of one whose has not
    /// (NG0027). Whether it added one.
    /// </summary>
    private bool Residual(List<string> ops, Shape shape, double p)
    {
        if (!graph || !Chance(p))
            return false;
        var others = outputs.Where(o => o.Shape != shape).ToArray();
        var same = outputs.Where(o => o.Shape == shape).ToArray();
        if (others.Length > 0 && Mistake(0.15))
        {
            var (name, other) = Pick(others);
            Note($"Add({name}) of {other} to {shape}");
            ops.Add($"Add(nameof({name}))");
            return true;
        }
        if (same.Length == 0)
            return false;
        string added = Pick(same).Name;
        Note($"Add({added})");
        ops.Add($"Add(nameof({added}))");
        return true;
    }

    /// <summary>
    /// The mistakes of a graph that need the whole list of layers: Add or Input naming a layer that
    /// is not an earlier one (NG0026), an Add out of place (NG0028), a layer that skips the previous
    /// one, which nobody then reads (NG0029).
    /// </summary>
    private void GraphMistakes(List<Layer> layers)
    {
        if (layers.Count == 0)
            return;
        if (Mistake(0.04))
        {
            int i = random.Next(layers.Count);
            string name = NotEarlier(layers, i);
            Note($"Add({name}) in {layers[i].Name}");
            layers[i].Ops.Insert(Math.Min(1, layers[i].Ops.Count), $"Add({name})");
        }
        var learnables = Enumerable.Range(0, layers.Count).Where(i => layers[i].Ops.Count > 0 && IsLearnable(layers[i].Ops[0])).ToArray();
        if (learnables.Length > 0 && Mistake(0.04))
        {
            int i = Pick(learnables);
            string name = NotEarlier(layers, i);
            Note($"Input = {name} in {layers[i].Name}");
            layers[i].Ops[0] = layers[i].Ops[0][..^1] + $", Input = {name})";
        }
        var skipping = learnables.Where(i => i >= 2 && !layers[i].Ops[0].Contains("Input =")).ToArray();
        if (skipping.Length > 0 && Mistake(0.04))
        {
            int i = Pick(skipping);
            Note($"{layers[i].Name} skips {layers[i - 1].Name}");
            layers[i].Ops[0] = layers[i].Ops[0][..^1] + $", Input = nameof({layers[i - 2].Name}))";
        }
        var joined = layers.Where(l => l.Ops.Any(o => o.StartsWith("Add(", StringComparison.Ordinal))).ToArray();
        if (joined.Length > 0 && Mistake(0.1))
        {
            var ops = Pick(joined).Ops;
            int from = ops.FindIndex(o => o.StartsWith("Add(", StringComparison.Ordinal));
            string join = ops[from];
            ops.RemoveAt(from);
            // Anywhere a join may not be: first, or after what is not a main operation.
            var wrong = Enumerable.Range(0, ops.Count + 1).Where(p => p == 0 || !IsMain(ops[p - 1])).ToArray();
            int to = Pick(wrong);
            Note($"{join} moved to {(to == 0 ? "the front" : "after " + ops[to - 1])}");
            ops.Insert(to, join);
        }
    }

    /// <summary>What Add or Input may name that is not an earlier layer of layer <paramref name="i"/>: itself, a later one, another case, none at all.</summary>
    private string NotEarlier(List<Layer> layers, int i) => random.Next(6) switch
    {
        0 => "\"Nope\"",
        1 => $"nameof({layers[random.Next(i, layers.Count)].Name})",
        2 => i + 1 < layers.Count ? $"nameof({layers[i + 1].Name})" : $"nameof({layers[i].Name})",
        3 => $"\"{layers[random.Next(layers.Count)].Name.ToLowerInvariant()}\"",
        4 => $"\"{layers[i].Name}\"",
        _ => Pick("\"\"", "null", "nameof(Nope)", "42", "\" Conv1\"", "nameof(Layer)"),
    };

    private static bool IsLearnable(string op) => op.StartsWith("Conv(", StringComparison.Ordinal) || op.StartsWith("Dense(", StringComparison.Ordinal);

    /// <summary>An operation that starts a kernel, which a join may follow.</summary>
    private static bool IsMain(string op) =>
        IsLearnable(op) || new[] { "BatchNorm", "MaxPool", "AvgPool", "GlobalAvgPool", "Lrn", "Softmax" }.Any(m => op.StartsWith(m, StringComparison.Ordinal));

    /// <summary>
    /// Any sequence of operations with sizes from anywhere: most fail the shape checks, some fit.
    /// Graph operations name any layer of the network, earlier or not, or none.
    /// </summary>
    private (NetworkHeader, List<Layer>) RandomNetwork()
    {
        int count = random.Next(0, 6);
        var names = Enumerable.Range(0, count).Select(i => Chance(0.8) ? $"L{i}" : Pick(LayerNames)).ToArray();
        string AnyLayer() => count > 0 && Chance(0.85) ? $"nameof({Pick(names)})" : Pick("\"Nope\"", "\"L0\"", "null");
        string Reads() => Chance(0.15) ? $", Input = {AnyLayer()}" : "";
        var layers = new List<Layer>();
        for (int i = 0; i < count; i++)
        {
            var ops = new List<string>();
            int opCount = random.Next(0, 4);
            for (int j = 0; j < opCount; j++)
                ops.Add(random.Next(12) switch
                {
                    0 or 1 => Conv(Size(), Size(), Pick(1, 1, 2, Size()), Pick(0, 1, Size()), Pick(1, 1, 2, 3, Size()), (Chance(0.3) ? $", Round = Rounding.{Pick("Floor", "Ceil", "Exact")}" : "") + Reads()),
                    2 or 3 => $"Dense({Size()}{Reads()})",
                    4 => Pick(Activation(), "Elu(-1f)", "LeakyRelu(float.NaN)", "Elu(float.PositiveInfinity)"),
                    5 => $"Lrn({Size()}{(Chance(0.3) ? $", Alpha = {Pick("-1f", "0f", "float.PositiveInfinity", "1e-4f")}, K = {Pick("0f", "2f", "-1f")}" : "")})",
                    6 => $"{Pick("MaxPool", "AvgPool")}({Size()}{(Chance(0.5) ? $", Stride = {Size()}" : "")}{(Chance(0.3) ? $", Pad = {Size()}" : "")})",
                    7 => $"Dropout({Pick("0.5f", "1f", "-0.5f", "float.NaN", "0f", "0.999f")})",
                    8 => Chance(0.3) ? "GlobalAvgPool" : "Softmax",
                    9 => Chance(0.5) ? "BatchNorm" : $"BatchNorm(Eps = {Pick("1e-5f", "0f", "-1f", "float.NaN", "1e30f")}, Momentum = {Pick("0.1f", "-1f", "2f", "float.NaN", "1f")})",
                    _ => $"Add({AnyLayer()})",
                });
            layers.Add(new Layer(names[i], ops));
        }
        MutateLayers(layers, 0.1);
        return (new NetworkHeader(Size(), Size(), Size(), Pick(1, 1, 2, 3, Size())), layers);
    }

    /// <summary>ReLU most often, else one of the other activations, with settings in range.</summary>
    private string Activation() => Chance(0.5) ? "Relu" : Pick("LeakyRelu", "LeakyRelu(0.2f)", "Elu", "Elu(0.5f)", "Gelu", "Sigmoid", "Tanh");

    /// <summary>A Conv; <paramref name="rest"/> holds its further settings (", Round = ...", ", Input = ...").</summary>
    private static string Conv(int filters, int kernel, int stride, int pad, int groups, string rest)
    {
        var text = new StringBuilder($"Conv({filters}, Kernel = {kernel}");
        if (stride != 1)
            text.Append($", Stride = {stride}");
        if (pad != 0)
            text.Append($", Pad = {pad}");
        if (groups != 1)
            text.Append($", Groups = {groups}");
        return text.Append(rest).Append(')').ToString();
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

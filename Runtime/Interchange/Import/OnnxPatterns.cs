using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Interchange;

/// <summary>Which NetGen operation a pattern of several ONNX nodes is.</summary>
internal enum PatternKind
{
    /// <summary>The tanh approximation of GELU written out in Mul, Add, Tanh (and Pow) nodes.</summary>
    Gelu,

    /// <summary>Split along the channels, an LRN on each part, Concat: response normalisation within each column.</summary>
    ColumnLrn,

    /// <summary>MatMul by a constant, then Add of a constant: a dense layer with a bias.</summary>
    MatMulAdd,
}

/// <summary>A pattern found in the graph.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Root">Its last node, whose output is the pattern's.</param>
/// <param name="Nodes">Its nodes: for <see cref="PatternKind.ColumnLrn"/> the Split, the LRNs in order and the Concat; for <see cref="PatternKind.MatMulAdd"/> the MatMul and the Add.</param>
/// <param name="Input">The value it reads.</param>
internal sealed record PatternMatch(PatternKind Kind, OnnxNode Root, IReadOnlyList<OnnxNode> Nodes, string Input);

/// <summary>
/// Finds the groups of nodes that together are one NetGen operation. Every node inside a pattern
/// but its last must have its one reader inside the pattern, so nothing else sees a value NetGen
/// does not compute.
/// </summary>
internal static class OnnxPatterns
{
    private const float Kappa = 0.044715f;
    private static readonly float Beta = MathF.Sqrt(2f / MathF.PI);

    /// <summary>
    /// GELU's tanh approximation, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), as NetGen's
    /// export writes it ((x * 0.5) * (1 + t)) and as PyTorch's writes it (0.5 * (x * (1 + t))), with
    /// x^3 as x * x * x or Pow(x, 3); each Mul and Add either way round.
    /// </summary>
    private static readonly Term GeluTerm = BuildGelu();

    private static Term BuildGelu()
    {
        var x = new Variable();
        var cube = new Either([Op("Mul", Op("Mul", x, x), x), new Node("Pow", [x, new Number(3f)], Commutative: false)]);
        var inner = Op("Mul", Op("Add", x, Op("Mul", cube, new Number(Kappa))), new Number(Beta));
        var onePlusTanh = Op("Add", new Node("Tanh", [inner], Commutative: false), new Number(1f));
        return new Either([Op("Mul", Op("Mul", x, new Number(0.5f)), onePlusTanh), Op("Mul", new Number(0.5f), Op("Mul", x, onePlusTanh))]);
    }

    /// <summary>Every pattern in <paramref name="model"/>, by its root.</summary>
    public static Dictionary<OnnxNode, PatternMatch> Find(OnnxModel model)
    {
        var found = new Dictionary<OnnxNode, PatternMatch>();
        var claimed = new HashSet<OnnxNode>();
        void Add(PatternMatch match)
        {
            found[match.Root] = match;
            claimed.UnionWith(match.Nodes);
        }
        // From the last node back, so a chain's root claims it before a node inside it is tried as one.
        foreach (var node in model.Nodes.Reverse())
        {
            if (claimed.Contains(node) || !IsDefaultDomain(node))
                continue;
            if (node.OpType == "Mul" && Gelu(model, node) is { } gelu)
                Add(gelu);
            else if (node.OpType == "Concat" && ColumnLrn(model, node) is { } lrn)
                Add(lrn);
            else if (node.OpType == "Add" && MatMulAdd(model, node) is { } dense)
                Add(dense);
        }
        return found;
    }

    /// <summary>Whether the node is in ONNX's default operator set.</summary>
    public static bool IsDefaultDomain(OnnxNode node) => node.Proto.Domain is "" or "ai.onnx";

    private static PatternMatch? Gelu(OnnxModel model, OnnxNode root)
    {
        var matching = new Matching(model);
        return matching.Match(GeluTerm, root.Output, root: true) ? new PatternMatch(PatternKind.Gelu, root, matching.Nodes.ToArray(), matching.X!) : null;
    }

    private static PatternMatch? ColumnLrn(OnnxModel model, OnnxNode concat)
    {
        if (concat.Int("axis", 0) is not (1 or -3) || concat.Inputs.Count < 2)
            return null;
        var lrns = concat.Inputs.Select(i => model.Producers.GetValueOrDefault(i)).ToList();
        if (lrns.Any(l => l is null || l.OpType != "LRN" || !IsDefaultDomain(l) || model.Readers(l.Output) != 1))
            return null;
        if (!model.Producers.TryGetValue(lrns[0]!.Input(0), out var split) || split.OpType != "Split" || !IsDefaultDomain(split)
            || split.Int("axis", 0) is not (1 or -3) || split.Outputs.Count != lrns.Count)
            return null;
        for (int i = 0; i < lrns.Count; i++)
            if (lrns[i]!.Input(0) != split.Outputs[i] || model.Readers(split.Outputs[i]) != 1 || !SameSettings(lrns[0]!, lrns[i]!))
                return null;
        return new PatternMatch(PatternKind.ColumnLrn, concat, [split, .. lrns!, concat], split.Input(0));
    }

    private static bool SameSettings(OnnxNode a, OnnxNode b) =>
        a.Int("size", 0) == b.Int("size", 0) && a.Float("alpha", 1e-4f) == b.Float("alpha", 1e-4f)
        && a.Float("beta", 0.75f) == b.Float("beta", 0.75f) && a.Float("bias", 1f) == b.Float("bias", 1f);

    private static PatternMatch? MatMulAdd(OnnxModel model, OnnxNode add)
    {
        if (add.Inputs.Count != 2)
            return null;
        foreach (var (product, bias) in new[] { (add.Input(0), add.Input(1)), (add.Input(1), add.Input(0)) })
            if (model.Producers.TryGetValue(product, out var matMul) && matMul.OpType == "MatMul" && IsDefaultDomain(matMul)
                && model.Readers(product) == 1 && model.Constants.ContainsKey(matMul.Input(1)) && model.Constants.ContainsKey(bias))
                return new PatternMatch(PatternKind.MatMulAdd, add, [matMul, add], matMul.Input(0));
        return null;
    }

    private static Node Op(string opType, Term a, Term b) => new(opType, [a, b], Commutative: true);

    private abstract record Term;

    /// <summary>The value the pattern computes on; every occurrence must be the same value.</summary>
    private sealed record Variable : Term;

    /// <summary>A constant scalar of this value (to float32's precision).</summary>
    private sealed record Number(float Value) : Term;

    /// <summary>A node of this operator whose inputs match the operands (in either order when commutative).</summary>
    private sealed record Node(string OpType, Term[] Operands, bool Commutative) : Term;

    /// <summary>Any one of the terms.</summary>
    private sealed record Either(Term[] Options) : Term;

    /// <summary>One attempt at matching a term, with backtracking over the orders of commutative operands.</summary>
    private sealed class Matching(OnnxModel model)
    {
        public string? X { get; private set; }

        public List<OnnxNode> Nodes { get; } = [];

        public bool Match(Term term, string value, bool root = false)
        {
            switch (term)
            {
                case Variable:
                    if (model.Constants.ContainsKey(value) || (X is not null && X != value))
                        return false;
                    X = value;
                    return true;
                case Number number:
                    return model.Constants.TryGetValue(value, out var constant) && constant.Scalar is { } v
                        && MathF.Abs(v - number.Value) <= 1e-6f * MathF.Abs(number.Value);
                case Either either:
                    return either.Options.Any(option => Attempt(() => Match(option, value, root)));
                case Node node:
                    if (!model.Producers.TryGetValue(value, out var producer) || producer.OpType != node.OpType || !IsDefaultDomain(producer)
                        || producer.Inputs.Count != node.Operands.Length || producer.Outputs.Count != 1 || (!root && model.Readers(value) != 1))
                        return false;
                    var orders = node.Commutative ? new[] { new[] { 0, 1 }, new[] { 1, 0 } } : [Enumerable.Range(0, node.Operands.Length).ToArray()];
                    return orders.Any(order => Attempt(() =>
                    {
                        Nodes.Add(producer);
                        return order.Select((operand, i) => (operand, i)).All(p => Match(node.Operands[p.operand], producer.Inputs[p.i]));
                    }));
                default:
                    return false;
            }
        }

        /// <summary>Runs <paramref name="match"/>, undoing what it bound if it fails.</summary>
        private bool Attempt(Func<bool> match)
        {
            var (x, count) = (X, Nodes.Count);
            if (match())
                return true;
            X = x;
            Nodes.RemoveRange(count, Nodes.Count - count);
            return false;
        }
    }
}

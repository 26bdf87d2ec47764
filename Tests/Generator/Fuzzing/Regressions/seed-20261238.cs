// Fuzz seed 20261238: sound shapes, duplicate member, sealed partial class, training defaults
// Found: generated code does not compile: CS9251 A partial property may not have multiple implementing declarations at NetGen.Generator/NetGen.Generator.NetworkGenerator/AlexNet.g.cs: (8,40)-(8,45); CS0102 The type 'AlexNet' already contains a definition for 'Conv1'
// (The generator implemented a member declared twice twice; it now reads it once and reports NG0018.)
// ==== file: Net.cs
using NetGen;
[Network(Channels = 2, Height = 12, Width = 12)]
[TrainingDefaults(Epochs = 90, LearningRate = 0.01f, Patience = 2)]
public sealed partial class AlexNet
{
    [Conv(4, Kernel = 3, Pad = 1), Relu, MaxPool(2, Stride = 2, Round = Rounding.Floor)] public partial Layer Conv1 { get; }
    [Dense(6), Softmax] public partial Layer Fc2 { get; }
    [Conv(4, Kernel = 3, Pad = 1), Relu, MaxPool(2, Stride = 2, Round = Rounding.Floor)] public partial Layer Conv1 { get; }
}

package suite

import (
	"fmt"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Notification is one kind of event on the suite's bus that a person must hear of: a rule on
// the bus sends the events that match Pattern to the suite's alarm topic (SNS), as the text
// Text makes, filled from the event by the rule target's input transformer. The CDK app deploys
// one rule per Notification; the local bus runs the same rules.
type Notification struct {
	// Name is the rule's stable identifier: its CDK construct ID and its local name.
	Name string
	// Pattern selects the events.
	Pattern ivsevent.Pattern
	// Text returns the message; field(path) stands for the value of the event at a JSON path
	// such as "$.detail.record.channelArn" (in the CDK app, an EventField token).
	Text func(field func(path string) string) string
}

// Transformer returns the text as an EventBridge input transformer: InputPathsMap (a
// placeholder name for each JSON path) and InputTemplate, where <name> stands for the value at
// its path. Names are the paths' last members, numbered when two paths end alike.
func (n Notification) Transformer() (paths map[string]string, template string) {
	paths = map[string]string{}
	byPath := map[string]string{}
	template = n.Text(func(path string) string {
		if name, ok := byPath[path]; ok {
			return "<" + name + ">"
		}
		base := path[strings.LastIndexByte(path, '.')+1:]
		name := base
		for i := 2; paths[name] != ""; i++ {
			name = fmt.Sprintf("%s%d", base, i)
		}
		paths[name], byPath[path] = path, name
		return "<" + name + ">"
	})
	return paths, template
}

// Notifications are the events that need a person, and what the person reads. Each names the
// channel, the session and what to do.
var Notifications = []Notification{
	{
		Name: "NotifyCorrectionFailed", Pattern: CorrectionsFailed,
		Text: func(f func(string) string) string {
			return fmt.Sprintf("%s could not correct IVS channel %s after session %s was refused (%s): %s. "+
				"The broadcaster is still refused. What to do: fix the cause above, then redrive the message from the correct "+
				"dead-letter queue, or make the change by hand: %s Record: %s in the archive bucket.",
				Name, f("$.detail.channelArn"), f("$.detail.streamId"), f("$.detail.correction.decision.code"),
				f("$.detail.correction.detail"), f("$.detail.correction.decision.reason"), f("$.detail.sessionKey"))
		},
	},
	{
		Name: "NotifyChannelForAPerson", Pattern: ChannelsForAPerson,
		Text: func(f func(string) string) string {
			return fmt.Sprintf("%s: IVS channel %s refused session %s (%s) and the suite leaves it to a person: %s. "+
				"What to do: as the reason says; the suite changes a channel by itself only when its settings allow it "+
				"(allowTypeChange, allowContainerFormatChange), and never gives a channel with an ad configuration FRAGMENTED_MP4 or multitrack input.",
				Name, f("$.detail.record.channelArn"), f("$.detail.record.streamId"), f("$.detail.decision.code"), f("$.detail.decision.reason"))
		},
	},
	{
		Name: "NotifyCorrectionForAPerson", Pattern: CorrectionsForAPerson,
		Text: func(f func(string) string) string {
			return fmt.Sprintf("%s: IVS channel %s refused session %s (%s); when the corrector read the channel again, it left it to a person: %s. "+
				"What to do: as the reason says. Record: %s in the archive bucket.",
				Name, f("$.detail.channelArn"), f("$.detail.streamId"), f("$.detail.correction.decision.code"),
				f("$.detail.correction.decision.reason"), f("$.detail.sessionKey"))
		},
	},
	{
		Name: "NotifyBroadcaster", Pattern: BroadcastersToTell,
		Text: func(f func(string) string) string {
			return fmt.Sprintf("%s: IVS channel %s refused session %s (%s) for what the encoder sent; no channel change fixes it: %s "+
				"What to do: tell the channel's broadcaster to change the encoder's settings.",
				Name, f("$.detail.record.channelArn"), f("$.detail.record.streamId"), f("$.detail.decision.code"), f("$.detail.decision.reason"))
		},
	},
}

from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_states.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_task = l_0_transition = l_0_pass_state = l_0_publish = l_0_choice = l_0_wait = l_0_notify_and_fail = l_0_start = l_0_poll_loop = l_0_wait_seconds = l_0_alarm_check = l_0_watch_new_version = l_0_select_present = l_0_step = l_0_live_version = l_0_succeed = missing
    try:
        t_1 = environment.filters['join']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'join' found.")
    try:
        t_2 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_3 = environment.filters['tojson']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'tojson' found.")
    try:
        t_4 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    def macro(l_1_name, l_1_resource, l_1_parameters, l_1_next, l_1_result_path, l_1_result_selector, l_1_timeout, l_1_retry, l_1_catch, l_1_comment):
        t_5 = []
        l_1_retriers = resolve('retriers')
        if l_1_name is missing:
            l_1_name = undefined("parameter 'name' was not provided", name='name')
        if l_1_resource is missing:
            l_1_resource = undefined("parameter 'resource' was not provided", name='resource')
        if l_1_parameters is missing:
            l_1_parameters = undefined("parameter 'parameters' was not provided", name='parameters')
        if l_1_next is missing:
            l_1_next = undefined("parameter 'next' was not provided", name='next')
        if l_1_result_path is missing:
            l_1_result_path = None
        if l_1_result_selector is missing:
            l_1_result_selector = None
        if l_1_timeout is missing:
            l_1_timeout = None
        if l_1_retry is missing:
            l_1_retry = None
        if l_1_catch is missing:
            l_1_catch = None
        if l_1_comment is missing:
            l_1_comment = None
        pass
        t_5.extend((
            str(t_3(l_1_name)),
            ': {\n  "Type": "Task",',
        ))
        if l_1_comment:
            pass
            t_5.extend((
                ' "Comment": ',
                str(t_3(l_1_comment)),
                ',',
            ))
        t_5.extend((
            '\n  "Resource": ',
            str(t_3(l_1_resource)),
            ',\n  "Parameters": ',
            str(t_3(l_1_parameters)),
            ',',
        ))
        if (not t_4(l_1_result_selector)):
            pass
            t_5.extend((
                ' "ResultSelector": ',
                str(t_3(l_1_result_selector)),
                ',',
            ))
        t_5.extend((
            '\n  "ResultPath": ',
            str(t_3(l_1_result_path)),
            ',',
        ))
        if l_1_timeout:
            pass
            t_5.extend((
                ' "TimeoutSeconds": ',
                str(t_3(l_1_timeout)),
                ',',
            ))
        if l_1_retry:
            pass
            t_5.extend((
                ' "Retry": ',
                str(t_3(context.call((undefined(name='retriers') if l_1_retriers is missing else l_1_retriers), l_1_retry, l_1_catch))),
                ',',
            ))
        if l_1_catch:
            pass
            t_5.extend((
                ' "Catch": ',
                str(t_3(l_1_catch)),
                ',',
            ))
        t_5.extend((
            '\n  ',
            str(context.call((undefined(name='transition') if l_0_transition is missing else l_0_transition), l_1_next)),
            '\n},',
        ))
        return concat(t_5)
    context.exported_vars.add('task')
    context.vars['task'] = l_0_task = Macro(environment, macro, 'task', ('name', 'resource', 'parameters', 'next', 'result_path', 'result_selector', 'timeout', 'retry', 'catch', 'comment'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_next):
        t_6 = []
        if l_1_next is missing:
            l_1_next = undefined("parameter 'next' was not provided", name='next')
        pass
        if t_4(l_1_next):
            pass
            t_6.append(
                '"End": true',
            )
        else:
            pass
            t_6.extend((
                '"Next": ',
                str(t_3(l_1_next)),
            ))
        return concat(t_6)
    context.exported_vars.add('transition')
    context.vars['transition'] = l_0_transition = Macro(environment, macro, 'transition', ('next',), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_name, l_1_next, l_1_result_path, l_1_parameters, l_1_result, l_1_comment):
        t_7 = []
        if l_1_name is missing:
            l_1_name = undefined("parameter 'name' was not provided", name='name')
        if l_1_next is missing:
            l_1_next = undefined("parameter 'next' was not provided", name='next')
        if l_1_result_path is missing:
            l_1_result_path = undefined("parameter 'result_path' was not provided", name='result_path')
        if l_1_parameters is missing:
            l_1_parameters = None
        if l_1_result is missing:
            l_1_result = None
        if l_1_comment is missing:
            l_1_comment = None
        pass
        t_7.extend((
            str(t_3(l_1_name)),
            ': {\n  "Type": "Pass",',
        ))
        if l_1_comment:
            pass
            t_7.extend((
                ' "Comment": ',
                str(t_3(l_1_comment)),
                ',',
            ))
        if (not t_4(l_1_parameters)):
            pass
            t_7.extend((
                ' "Parameters": ',
                str(t_3(l_1_parameters)),
                ',',
            ))
        if (not t_4(l_1_result)):
            pass
            t_7.extend((
                ' "Result": ',
                str(t_3(l_1_result)),
                ',',
            ))
        t_7.extend((
            '\n  "ResultPath": ',
            str(t_3(l_1_result_path)),
            ',\n  ',
            str(context.call((undefined(name='transition') if l_0_transition is missing else l_0_transition), l_1_next)),
            '\n},',
        ))
        return concat(t_7)
    context.exported_vars.add('pass_state')
    context.vars['pass_state'] = l_0_pass_state = Macro(environment, macro, 'pass_state', ('name', 'next', 'result_path', 'parameters', 'result', 'comment'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_name, l_1_entry, l_1_next, l_1_guarded, l_1_failed):
        t_8 = []
        l_1_p = resolve('p')
        l_1_service_retry = resolve('service_retry')
        l_1_events_failure = resolve('events_failure')
        if l_1_name is missing:
            l_1_name = undefined("parameter 'name' was not provided", name='name')
        if l_1_entry is missing:
            l_1_entry = undefined("parameter 'entry' was not provided", name='entry')
        if l_1_next is missing:
            l_1_next = undefined("parameter 'next' was not provided", name='next')
        if l_1_guarded is missing:
            l_1_guarded = True
        if l_1_failed is missing:
            l_1_failed = None
        pass
        t_8.append(
            str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), l_1_name, str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::events:putEvents', )), l_1_entry, l_1_next, result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=([{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': (l_1_failed or environment.getattr((undefined(name='events_failure') if l_1_events_failure is missing else l_1_events_failure), 'notify_state'))}] if l_1_guarded else None))),
        )
        return concat(t_8)
    context.exported_vars.add('publish')
    context.vars['publish'] = l_0_publish = Macro(environment, macro, 'publish', ('name', 'entry', 'next', 'guarded', 'failed'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_name, l_1_choices, l_1_default):
        t_9 = []
        if l_1_name is missing:
            l_1_name = undefined("parameter 'name' was not provided", name='name')
        if l_1_choices is missing:
            l_1_choices = undefined("parameter 'choices' was not provided", name='choices')
        if l_1_default is missing:
            l_1_default = undefined("parameter 'default' was not provided", name='default')
        pass
        t_9.extend((
            str(t_3(l_1_name)),
            ': {\n  "Type": "Choice",\n  "Choices": ',
            str(t_3(l_1_choices)),
            ',\n  "Default": ',
            str(t_3(l_1_default)),
            '\n},',
        ))
        return concat(t_9)
    context.exported_vars.add('choice')
    context.vars['choice'] = l_0_choice = Macro(environment, macro, 'choice', ('name', 'choices', 'default'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_name, l_1_seconds_path, l_1_next):
        t_10 = []
        if l_1_name is missing:
            l_1_name = undefined("parameter 'name' was not provided", name='name')
        if l_1_seconds_path is missing:
            l_1_seconds_path = undefined("parameter 'seconds_path' was not provided", name='seconds_path')
        if l_1_next is missing:
            l_1_next = undefined("parameter 'next' was not provided", name='next')
        pass
        t_10.extend((
            str(t_3(l_1_name)),
            ': {\n  "Type": "Wait",\n  "SecondsPath": ',
            str(t_3(l_1_seconds_path)),
            ',\n  "Next": ',
            str(t_3(l_1_next)),
            '\n},',
        ))
        return concat(t_10)
    context.exported_vars.add('wait')
    context.vars['wait'] = l_0_wait = Macro(environment, macro, 'wait', ('name', 'seconds_path', 'next'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_failure):
        t_11 = []
        l_1_p = resolve('p')
        l_1_service_retry = resolve('service_retry')
        if l_1_failure is missing:
            l_1_failure = undefined("parameter 'failure' was not provided", name='failure')
        pass
        t_11.append(
            str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), environment.getattr(l_1_failure, 'notify_state'), str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::sns:publish', )), environment.getattr(l_1_failure, 'notification'), ((environment.getattr(l_1_failure, 'record_state') or environment.getattr(l_1_failure, 'publish_state')) or environment.getattr(l_1_failure, 'fail_state')), result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry))),
        )
        if environment.getattr(l_1_failure, 'record_state'):
            pass
            t_11.extend((
                '\n',
                str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), environment.getattr(l_1_failure, 'record_state'), str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:updateItem', )), environment.getattr(l_1_failure, 'record'), (environment.getattr(l_1_failure, 'publish_state') or environment.getattr(l_1_failure, 'fail_state')), result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry))),
            ))
        if environment.getattr(l_1_failure, 'publish_state'):
            pass
            t_11.extend((
                '\n',
                str(context.call((undefined(name='publish') if l_0_publish is missing else l_0_publish), environment.getattr(l_1_failure, 'publish_state'), environment.getattr(l_1_failure, 'event'), environment.getattr(l_1_failure, 'fail_state'), guarded=False)),
            ))
        t_11.extend((
            '\n',
            str(t_3(environment.getattr(l_1_failure, 'fail_state'))),
            ': {\n  "Type": "Fail",\n  "Error": ',
            str(t_3(environment.getattr(l_1_failure, 'error'))),
            ',\n  "Cause": ',
            str(t_3(environment.getattr(l_1_failure, 'cause'))),
            '\n},',
        ))
        return concat(t_11)
    context.exported_vars.add('notify_and_fail')
    context.vars['notify_and_fail'] = l_0_notify_and_fail = Macro(environment, macro, 'notify_and_fail', ('failure',), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_pointers, l_1_first_state):
        t_12 = []
        l_1_p = resolve('p')
        l_1_service_retry = resolve('service_retry')
        l_1_events_failure = resolve('events_failure')
        if l_1_pointers is missing:
            l_1_pointers = undefined("parameter 'pointers' was not provided", name='pointers')
        if l_1_first_state is missing:
            l_1_first_state = undefined("parameter 'first_state' was not provided", name='first_state')
        pass
        t_12.extend((
            str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), 'Read pointers', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:getItem', )), environment.getattr(l_1_pointers, 'get_item'), 'Check pointers', result_path='$.pointers', retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr(l_1_pointers, 'read_failure'), 'notify_state')}], comment='Image URIs come from the registry, so a new image build changes a pointer, not this definition.')),
            '\n',
            str(context.call((undefined(name='choice') if l_0_choice is missing else l_0_choice), 'Check pointers', [environment.getattr(l_1_pointers, 'check')], environment.getattr(environment.getattr(l_1_pointers, 'failure'), 'notify_state'))),
            '\n',
            str(context.call((undefined(name='publish') if l_0_publish is missing else l_0_publish), 'Publish run started', environment.getattr(l_1_pointers, 'started_event'), l_1_first_state)),
            '\n',
            str(context.call((undefined(name='notify_and_fail') if l_0_notify_and_fail is missing else l_0_notify_and_fail), environment.getattr(l_1_pointers, 'failure'))),
            '\n',
            str(context.call((undefined(name='notify_and_fail') if l_0_notify_and_fail is missing else l_0_notify_and_fail), environment.getattr(l_1_pointers, 'read_failure'))),
            '\n',
            str(context.call((undefined(name='notify_and_fail') if l_0_notify_and_fail is missing else l_0_notify_and_fail), (undefined(name='events_failure') if l_1_events_failure is missing else l_1_events_failure))),
        ))
        return concat(t_12)
    context.exported_vars.add('start')
    context.vars['start'] = l_0_start = Macro(environment, macro, 'start', ('pointers', 'first_state'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_poll):
        t_13 = []
        l_1_service_retry = resolve('service_retry')
        if l_1_poll is missing:
            l_1_poll = undefined("parameter 'poll' was not provided", name='poll')
        pass
        t_13.extend((
            str(context.call((undefined(name='pass_state') if l_0_pass_state is missing else l_0_pass_state), environment.getattr(l_1_poll, 'start_state'), environment.getattr(l_1_poll, 'schedule_state'), '$.poll', result={'attempt': 0, 'waits': environment.getattr(l_1_poll, 'waits')}, comment=str_join(('Waits of ', t_1(context.eval_ctx, environment.getattr(l_1_poll, 'waits'), 's, '), 's: each longer than the last.', )))),
            '\n',
            str(context.call((undefined(name='pass_state') if l_0_pass_state is missing else l_0_pass_state), environment.getattr(l_1_poll, 'schedule_state'), environment.getattr(l_1_poll, 'wait_state'), '$.poll', parameters={'attempt.$': 'States.MathAdd($.poll.attempt, 1)', 'waits.$': '$.poll.waits', 'seconds.$': 'States.ArrayGetItem($.poll.waits, $.poll.attempt)'})),
            '\n',
            str(context.call((undefined(name='wait') if l_0_wait is missing else l_0_wait), environment.getattr(l_1_poll, 'wait_state'), '$.poll.seconds', environment.getattr(l_1_poll, 'describe_state'))),
            '\n',
            str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), environment.getattr(l_1_poll, 'describe_state'), environment.getattr(l_1_poll, 'describe_resource'), environment.getattr(l_1_poll, 'describe_parameters'), environment.getattr(l_1_poll, 'ready_state'), result_path=environment.getattr(l_1_poll, 'result_path'), result_selector=environment.getattr(l_1_poll, 'result_selector'), retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(l_1_poll, 'failure_state')}])),
            '\n',
            str(context.call((undefined(name='choice') if l_0_choice is missing else l_0_choice), environment.getattr(l_1_poll, 'ready_state'), environment.getattr(l_1_poll, 'outcomes'), environment.getattr(l_1_poll, 'attempts_state'))),
            '\n',
            str(context.call((undefined(name='choice') if l_0_choice is missing else l_0_choice), environment.getattr(l_1_poll, 'attempts_state'), [{'Variable': '$.poll.attempt', 'NumericGreaterThanEquals': t_2(environment.getattr(l_1_poll, 'waits')), 'Next': environment.getattr(l_1_poll, 'timeout_state')}], environment.getattr(l_1_poll, 'schedule_state'))),
        ))
        return concat(t_13)
    context.exported_vars.add('poll_loop')
    context.vars['poll_loop'] = l_0_poll_loop = Macro(environment, macro, 'poll_loop', ('poll',), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_name, l_1_seconds, l_1_next):
        t_14 = []
        if l_1_name is missing:
            l_1_name = undefined("parameter 'name' was not provided", name='name')
        if l_1_seconds is missing:
            l_1_seconds = undefined("parameter 'seconds' was not provided", name='seconds')
        if l_1_next is missing:
            l_1_next = undefined("parameter 'next' was not provided", name='next')
        pass
        t_14.extend((
            str(t_3(l_1_name)),
            ': {\n  "Type": "Wait",\n  "Seconds": ',
            str(t_3(l_1_seconds)),
            ',\n  "Next": ',
            str(t_3(l_1_next)),
            '\n},',
        ))
        return concat(t_14)
    context.exported_vars.add('wait_seconds')
    context.vars['wait_seconds'] = l_0_wait_seconds = Macro(environment, macro, 'wait_seconds', ('name', 'seconds', 'next'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_name, l_1_alarms, l_1_quiet, l_1_firing, l_1_failed):
        t_15 = []
        l_1_p = resolve('p')
        l_1_service_retry = resolve('service_retry')
        if l_1_name is missing:
            l_1_name = undefined("parameter 'name' was not provided", name='name')
        if l_1_alarms is missing:
            l_1_alarms = undefined("parameter 'alarms' was not provided", name='alarms')
        if l_1_quiet is missing:
            l_1_quiet = undefined("parameter 'quiet' was not provided", name='quiet')
        if l_1_firing is missing:
            l_1_firing = undefined("parameter 'firing' was not provided", name='firing')
        if l_1_failed is missing:
            l_1_failed = undefined("parameter 'failed' was not provided", name='failed')
        pass
        t_15.extend((
            '\n',
            str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), l_1_name, str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::aws-sdk:cloudwatch:describeAlarms', )), l_1_alarms, str_join((l_1_name, ': firing?', )), result_path='$.alarms', retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': l_1_failed}])),
            '\n',
            str(context.call((undefined(name='choice') if l_0_choice is missing else l_0_choice), str_join((l_1_name, ': firing?', )), [{'Variable': '$.alarms.MetricAlarms[0]', 'IsPresent': True, 'Next': l_1_firing}], l_1_quiet)),
        ))
        return concat(t_15)
    context.exported_vars.add('alarm_check')
    context.vars['alarm_check'] = l_0_alarm_check = Macro(environment, macro, 'alarm_check', ('name', 'alarms', 'quiet', 'firing', 'failed'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_states, l_1_failed):
        t_16 = []
        if l_1_states is missing:
            l_1_states = undefined("parameter 'states' was not provided", name='states')
        if l_1_failed is missing:
            l_1_failed = undefined("parameter 'failed' was not provided", name='failed')
        pass
        for l_2_state in l_1_states:
            l_2_p = resolve('p')
            l_2_service_retry = resolve('service_retry')
            _loop_vars = {}
            pass
            t_16.extend((
                '\n',
                str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), environment.getattr(l_2_state, 'name'), str_join(('arn:', environment.getattr((undefined(name='p') if l_2_p is missing else l_2_p), 'partition'), ':states:::aws-sdk:cloudwatch:putMetricAlarm', )), environment.getattr(l_2_state, 'parameters'), environment.getattr(l_2_state, 'next'), result_path=None, retry=(undefined(name='service_retry') if l_2_service_retry is missing else l_2_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': l_1_failed}], _loop_vars=_loop_vars)),
            ))
        l_2_state = l_2_p = l_2_service_retry = missing
        return concat(t_16)
    context.exported_vars.add('watch_new_version')
    context.vars['watch_new_version'] = l_0_watch_new_version = Macro(environment, macro, 'watch_new_version', ('states', 'failed'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_sel):
        t_17 = []
        if l_1_sel is missing:
            l_1_sel = undefined("parameter 'sel' was not provided", name='sel')
        pass
        t_17.extend((
            str(context.call((undefined(name='choice') if l_0_choice is missing else l_0_choice), environment.getattr(l_1_sel, 'check_state'), [environment.getattr(l_1_sel, 'check')], environment.getattr(l_1_sel, 'missing_state'))),
            '\n',
            str(context.call((undefined(name='pass_state') if l_0_pass_state is missing else l_0_pass_state), environment.getattr(l_1_sel, 'select_state'), environment.getattr(l_1_sel, 'next'), environment.getattr(l_1_sel, 'result_path'), parameters=environment.getattr(l_1_sel, 'parameters'))),
        ))
        if environment.getattr(l_1_sel, 'failure'):
            pass
            t_17.extend((
                '\n',
                str(context.call((undefined(name='notify_and_fail') if l_0_notify_and_fail is missing else l_0_notify_and_fail), environment.getattr(l_1_sel, 'failure'))),
            ))
        return concat(t_17)
    context.exported_vars.add('select_present')
    context.vars['select_present'] = l_0_select_present = Macro(environment, macro, 'select_present', ('sel',), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_step):
        t_18 = []
        if l_1_step is missing:
            l_1_step = undefined("parameter 'step' was not provided", name='step')
        pass
        t_18.append(
            str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), environment.getattr(l_1_step, 'name'), environment.getattr(l_1_step, 'resource'), environment.getattr(l_1_step, 'parameters'), (environment.getattr(environment.getattr(l_1_step, 'present'), 'check_state') if environment.getattr(l_1_step, 'present') else environment.getattr(l_1_step, 'published_state')), result_path=environment.getattr(l_1_step, 'result_path'), result_selector=environment.getattr(l_1_step, 'result_selector'), timeout=environment.getattr(l_1_step, 'timeout'), retry=environment.getattr(l_1_step, 'retry'), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr(l_1_step, 'failure'), 'notify_state')}])),
        )
        if environment.getattr(l_1_step, 'present'):
            pass
            t_18.extend((
                '\n',
                str(context.call((undefined(name='select_present') if l_0_select_present is missing else l_0_select_present), environment.getattr(l_1_step, 'present'))),
            ))
        t_18.extend((
            '\n',
            str(context.call((undefined(name='publish') if l_0_publish is missing else l_0_publish), environment.getattr(l_1_step, 'published_state'), environment.getattr(l_1_step, 'succeeded_event'), environment.getattr(l_1_step, 'next'))),
            '\n',
            str(context.call((undefined(name='notify_and_fail') if l_0_notify_and_fail is missing else l_0_notify_and_fail), environment.getattr(l_1_step, 'failure'))),
        ))
        return concat(t_18)
    context.exported_vars.add('step')
    context.vars['step'] = l_0_step = Macro(environment, macro, 'step', ('step',), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_live, l_1_read_failure):
        t_19 = []
        l_1_p = resolve('p')
        l_1_service_retry = resolve('service_retry')
        if l_1_live is missing:
            l_1_live = undefined("parameter 'live' was not provided", name='live')
        if l_1_read_failure is missing:
            l_1_read_failure = undefined("parameter 'read_failure' was not provided", name='read_failure')
        pass
        t_19.extend((
            str(context.call((undefined(name='task') if l_0_task is missing else l_0_task), 'Read deployment', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:getItem', )), environment.getattr(l_1_live, 'get_item'), 'Which version is live?', result_path='$.deployment', retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(l_1_read_failure, 'notify_state')}], comment="The last deployment's version when it succeeded; else the approved pointer, which names the last successful deployment.")),
            '\n',
            str(context.call((undefined(name='choice') if l_0_choice is missing else l_0_choice), 'Which version is live?', environment.getattr(l_1_live, 'choices'), environment.getattr(l_1_live, 'nothing'))),
            '\n',
            str(context.call((undefined(name='pass_state') if l_0_pass_state is missing else l_0_pass_state), 'Live: last deployment', environment.getattr(l_1_live, 'found'), '$.live', parameters=environment.getattr(l_1_live, 'from_deployment'))),
            '\n',
            str(context.call((undefined(name='pass_state') if l_0_pass_state is missing else l_0_pass_state), 'Live: approved version', environment.getattr(l_1_live, 'found'), '$.live', parameters=environment.getattr(l_1_live, 'from_pointer'))),
        ))
        return concat(t_19)
    context.exported_vars.add('live_version')
    context.vars['live_version'] = l_0_live_version = Macro(environment, macro, 'live_version', ('live', 'read_failure'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_name, l_1_comment):
        t_20 = []
        if l_1_name is missing:
            l_1_name = undefined("parameter 'name' was not provided", name='name')
        if l_1_comment is missing:
            l_1_comment = undefined("parameter 'comment' was not provided", name='comment')
        pass
        t_20.extend((
            str(t_3(l_1_name)),
            ': {\n  "Type": "Succeed",\n  "Comment": ',
            str(t_3(l_1_comment)),
            '\n},',
        ))
        return concat(t_20)
    context.exported_vars.add('succeed')
    context.vars['succeed'] = l_0_succeed = Macro(environment, macro, 'succeed', ('name', 'comment'), False, False, False, context.eval_ctx.autoescape)
    yield '\n'

blocks = {}
debug_info = '5=36&7=61&9=64&10=73&11=75&12=78&13=87&14=90&15=97&16=104&17=113&21=119&22=124&25=138&26=154&28=157&29=164&30=171&31=180&32=182&38=188&39=205&44=210&45=220&47=222&48=224&52=230&53=240&55=242&56=244&62=250&63=258&65=260&66=264&69=266&70=270&72=274&74=276&75=278&81=284&82=295&86=297&87=299&88=301&89=303&90=305&105=310&106=317&108=319&112=321&113=323&116=325&117=327&121=332&122=342&124=344&125=346&131=352&133=369&136=371&141=376&142=383&143=390&151=396&152=402&153=404&154=406&155=410&160=415&161=421&164=423&165=427&167=431&168=433&173=438&174=448&178=450&179=452&180=454&183=459&184=467&186=469'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'drift.asl.json.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_comment = resolve('comment')
    l_0_timeout = resolve('timeout')
    l_0_s = missing
    try:
        t_1 = environment.filters['members']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'members' found.")
    try:
        t_2 = environment.filters['tojson']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'tojson' found.")
    pass
    l_0_s = context.vars['s'] = environment.get_template('_states.j2', 'drift.asl.json.j2').make_module(context.get_all(), True, {'s': l_0_s})
    context.exported_vars.discard('s')
    yield '{\n  "Comment": '
    yield str(t_2((undefined(name='comment') if l_0_comment is missing else l_0_comment)))
    yield ',\n  "StartAt": "Read pointers",\n  "TimeoutSeconds": '
    yield str(t_2((undefined(name='timeout') if l_0_timeout is missing else l_0_timeout)))
    yield ',\n  "States": {'
    l_1_pointers = resolve('pointers')
    l_1_step = resolve('step')
    l_1_live = resolve('live')
    l_1_p = resolve('p')
    l_1_read_version = resolve('read_version')
    l_1_service_retry = resolve('service_retry')
    l_1_has_baseline = resolve('has_baseline')
    l_1_baseline_missing = resolve('baseline_missing')
    l_1_checked_event = resolve('checked_event')
    t_3 = []
    pass
    t_3.extend((
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'start'), (undefined(name='pointers') if l_1_pointers is missing else l_1_pointers), environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'name'))),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'live_version'), (undefined(name='live') if l_1_live is missing else l_1_live), environment.getattr((undefined(name='pointers') if l_1_pointers is missing else l_1_pointers), 'read_failure'))),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'succeed'), 'Nothing deployed', 'No version serves yet: there is nothing to compare.')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Read live version', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:getItem', )), (undefined(name='read_version') if l_1_read_version is missing else l_1_read_version), 'Check baseline', result_path='$.model_version', retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='pointers') if l_1_pointers is missing else l_1_pointers), 'read_failure'), 'notify_state')}])),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Check baseline', [(undefined(name='has_baseline') if l_1_has_baseline is missing else l_1_has_baseline)], environment.getattr((undefined(name='baseline_missing') if l_1_baseline_missing is missing else l_1_baseline_missing), 'notify_state'))),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'notify_and_fail'), (undefined(name='baseline_missing') if l_1_baseline_missing is missing else l_1_baseline_missing))),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'step'), (undefined(name='step') if l_1_step is missing else l_1_step))),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'publish'), 'Publish drift checked', (undefined(name='checked_event') if l_1_checked_event is missing else l_1_checked_event), 'Done')),
        '\n    "Done": {"Type": "Succeed"},',
    ))
    yield t_1(concat(t_3))
    l_1_pointers = l_1_step = l_1_live = l_1_p = l_1_read_version = l_1_service_retry = l_1_has_baseline = l_1_baseline_missing = l_1_checked_event = missing
    yield '\n  }\n}\n'

blocks = {}
debug_info = '1=26&3=29&5=31&8=46&9=48&10=50&11=52&14=54&15=56&16=58&17=60&7=63'